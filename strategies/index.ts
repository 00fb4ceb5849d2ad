/**
 * strategies/: deciding, PURE (no store, no chains, no I/O, no clock — time and blocks come in as
 * data). See strategies/README.md.
 */
export { strategyPolicySchema, defaultStrategyPolicy, type StrategyPolicy, type StrategyPolicyInput } from './policy'
export { scoreVenue, explainScore, type ScoreInput, type ScoreSample, type ScoreVenue, type ScoreComponent, type VenueScore } from './risk'
export { allocate, targetMap, type TransferTarget, type Allocation, type Binding, type BindingKind, type ShadowPrices, type VenueTarget } from './allocate'
export { checkAllocation, limitsOf, toRaw, bridgeDecimals, bridgeReceived, bridgeSendable, AllocationInputError, type AllocationChain, type AllocationInput, type AllocationRoute, type AllocationTransfer, type AllocationVenue, type Violation } from './constraints'
export { buildPlan, planFromAllocation, renderPlan, assertFresh, StaleSamplesError, PlanInputError, type BuildPlanInput, type Plan, type PlanChain, type PlanStep, type PlanVenue } from './plan'
export { backtest, realisedGrowth, type BacktestChain, type BacktestInput, type BacktestLeg, type BacktestResult, type BacktestVenue } from './backtest'
export { allocationObjective, allocationUpperBound } from './bound'
export { bridgeCost, bridgeFixedCost, bridgeUnitCost, stepCost, type BridgeCost, type StepCost } from './costs'
