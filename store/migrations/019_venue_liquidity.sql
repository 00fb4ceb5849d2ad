-- What ALL holders of a venue together could withdraw now, raw units of its asset (watcher; the
-- venue-wide liquidity, the pool's own position included), where the venue tells it: an Aave
-- reserve's available liquidity (aTokens not lent out), an ERC-4626 vault's configured
-- `liquidityFunction` (e.g. the devnet vaults' idleLiquidity()). `withdrawable` stays what the POOL
-- could withdraw (its maxWithdraw). The allocator bounds a venue's target by a share of it
-- (strategy.allocation.maxWithdrawableShareBps), on a first deposit too. NULL = not read.
ALTER TABLE samples ADD COLUMN liquidity TEXT;
