export { erc20ApproveAbi, venueErrorsAbi } from './abis'
export { buildStepCalls, type StepCall, type StepCallsInput, type StepPlan } from './buildStepCalls'
export { checkPositionChange, type PositionCheck, type PositionCheckInput } from './checkPositionChange'
export {
  createTxSender,
  gasAlertKey,
  stuckAlertKey,
  txSenderOptions,
  type ReconcileResult,
  type SendRequest,
  type TxPoint,
  type TxSender,
  type TxSenderDeps,
  type TxSenderHooks,
  type TxSenderOptions,
} from './createTxSender'
export {
  GasBalanceLowError,
  IntentFailedError,
  IntentMismatchError,
  NonceConsumedError,
  PositionMismatchError,
  PreflightRevertError,
  SenderPausedError,
  TxCancelledError,
  TxRevertedError,
  TxStuckError,
  UnsupportedStepError,
} from './errors'
export {
  executePlan,
  ExecutorSetupError,
  planFailedAlertKey,
  type ExecutePlanDeps,
  type ExecutePlanHooks,
  type ExecutePlanInput,
  type ExecutePlanResult,
  type PlanPoint,
} from './executePlan'
export { bump, DEFAULT_GAS_PAD, MIN_FEE_BUMP_PERCENT, padGas, replacementFees, requiredBalance, type Fees, type GasPad } from './fees'
export { classifyBroadcastError, isRevert, isTransient, nodeMessage, revertReason, type BroadcastErrorKind } from './nodeErrors'
export { readPosition } from './readPosition'
export { applyRevalidation, revalidateBeforeStep, type RevalidateOptions } from './revalidate'
