-- Committee plans (custody "safe"): the result of executing the plan's Safe transaction on an anvil
-- fork of the chain at the block it was built, before anyone signs — the fork's block, the gas used
-- and the pool's positions (every venue the plan touches and the idle collateral) before and after,
-- as JSON; shown next to the approval request (plan show, Telegram, the dashboard). NULL: not
-- simulated on a fork (a destination leg: its funds are still in flight; rows stored before this).
ALTER TABLE safe_txs ADD COLUMN fork_simulation TEXT;
