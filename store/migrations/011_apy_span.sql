-- How far back the readings behind a sample's APY reach, seconds (watcher): for an APY derived
-- from exchange-rate growth, the span it was annualised over; for a published APY, the unbroken run
-- of plausible readings ending at this sample. The strategist holds a venue whose latest span does
-- not cover its chain's APY window (a cold start, an unreadable or refused feed). NULL = unknown
-- (written before this column): treated as no coverage.
ALTER TABLE samples ADD COLUMN apy_span_seconds INTEGER;
