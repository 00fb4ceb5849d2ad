import type { Store, Transfer } from '../store'

/**
 * A person's release of a held transfer (a redeem that failed `execution.redeemMaxAttempts`
 * times): one store transaction clears the hold and appends the audit row, so a release is never
 * done unaudited. Shared by `npm run transfers -- release <id> --as <operator>` and the bot's
 * /release (operator role). The executor picks the transfer up on its next round with a fresh
 * budget of redeem attempts (store.transfers.release).
 */

export interface ReleaseRequest {
  id: string
  /** The operator's name (a configured Telegram user with the operator role). */
  by: string
  via: 'cli' | 'telegram'
  at?: number
}

export type ReleaseOutcome = { outcome: 'released'; transfer: Transfer; message: string } | { outcome: 'refused'; message: string }

/** Why a transfer cannot be released now, or null when it can (pure). */
export function releaseRefusal(id: string, t: Transfer | undefined): string | null {
  if (!t) return `no transfer "${id}" (list them: npm run transfers -- list)`
  if (t.heldReason === null) return `transfer ${id} is ${t.state} and not held: nothing to release (only a transfer the executor left for a person is released)`
  return null
}

export async function releaseTransfer(store: Store, req: ReleaseRequest): Promise<ReleaseOutcome> {
  const at = req.at ?? Date.now()
  return store.transaction(async (tx) => {
    const t = await tx.transfers.get(req.id)
    const refusal = releaseRefusal(req.id, t)
    if (refusal) return { outcome: 'refused' as const, message: refusal }
    if (!(await tx.transfers.release(req.id, at))) return { outcome: 'refused' as const, message: `transfer ${req.id} was released meanwhile` }
    await tx.audit.append({ actor: `${req.via}:${req.by}`, action: 'transfer.release', detail: { id: req.id, state: t!.state, heldReason: t!.heldReason, attempts: t!.attempts }, at })
    const transfer = (await tx.transfers.get(req.id))!
    return {
      outcome: 'released' as const,
      transfer,
      message: `released transfer ${req.id} (${t!.sourceChain} → ${t!.destChain}, ${t!.state}): the executor retries its redeem on its next round with a fresh budget of redeem attempts (was held: ${t!.heldReason})`,
    }
  })
}
