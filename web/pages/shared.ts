import type { Alert } from '../../store'
import { fmtTime, type Cell, type Column } from '../html'

export const alertColumns: readonly Column[] = [
  { key: 'id', label: 'id', numeric: true },
  { key: 'at', label: 'at' },
  { key: 'severity', label: 'severity' },
  { key: 'kind', label: 'kind' },
  { key: 'chain', label: 'chain' },
  { key: 'rule', label: 'rule' },
  { key: 'subject', label: 'subject' },
  { key: 'block', label: 'block', numeric: true },
  { key: 'title', label: 'title' },
  { key: 'delivered', label: 'delivered' },
]

export function alertRows(alerts: readonly Alert[]): Record<string, Cell>[] {
  return alerts.map((a) => ({
    id: a.id,
    at: fmtTime(a.createdAt),
    severity: a.severity,
    kind: a.retractedAt ? 'retracted' : a.kind,
    chain: a.chain,
    rule: a.rule,
    subject: a.subject,
    block: a.blockNumber === null ? null : a.blockNumber.toString(),
    title: a.title,
    delivered: fmtTime(a.deliveredAt),
  }))
}
