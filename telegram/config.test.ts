import { describe, expect, it } from 'vitest'
import { configProblems } from '../config/load'
import { testConfig } from './testing'

const ADDR = '0x00000000000000000000000000000000000000a1'
const base = (telegram: unknown) => ({
  chains: [{ name: 'ethereum', chainId: 1, rpc: [{ url: 'https://eth.example' }] }],
  pool: { account: ADDR, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: ADDR }] },
  strategy: { committee: { members: ['alice', 'bob', 'carol'], required: 2 } },
  telegram,
})

describe('config.telegram', () => {
  it('defaults to off, live, POOLWARDEN_TELEGRAM_TOKEN', () => {
    const c = testConfig({ enabled: false, mode: 'live', users: [], chats: [] })
    expect(c.telegram).toMatchObject({ enabled: false, mode: 'live', tokenEnv: 'POOLWARDEN_TELEGRAM_TOKEN', confirmTtlSeconds: 120 })
    expect(c.telegram.delivery).toEqual({ pollMs: 2000, dedupWindowSeconds: 600, digestIntervalSeconds: 900, maxAttempts: 10 })
  })

  it('names the field and the fix', () => {
    expect(
      configProblems(
        base({
          users: [
            { id: '@alice', name: 'alice', role: 'committee' },
            { id: 7, name: 'Bob', role: 'admin' },
            { id: 8, name: 'dave', role: 'committee' },
            { id: 8, name: 'erin', role: 'viewer', member: 'erin' },
          ],
          chats: [{ id: -5, alerts: ['loud'] }, { id: -5 }],
          apiRoot: 'https://api.telegram.org/',
          rateLimits: { groupPerMinute: 60 },
          tokn: 'x',
        }),
      ),
    ).toEqual([
      'telegram.users[0].id: expected the numeric Telegram user id (e.g. 123456789), not a @username',
      'telegram.users[1].name: use lower-case letters, digits, "-" and "_" (at most 32), e.g. "alice"',
      'telegram.users[1].role: unknown role: use one of "viewer", "operator", "committee"',
      'telegram.users[2].name: committee user "dave" is not in strategy.committee.members (alice, bob, carol): add them there or set "member" to their member name',
      'telegram.users[3].id: duplicate user id 8 (also telegram.users[2]): one entry per Telegram user',
      'telegram.users[3].member: "member" is only for role "committee": remove it or set "role": "committee"',
      'telegram.chats[0].alerts[0]: unknown severity: use "info", "warning" or "critical"',
      'telegram.chats[1].id: duplicate chat id -5 (also telegram.chats[0]): one entry per chat',
      'telegram.apiRoot: remove the trailing "/" (grammY appends "/bot<token>/<method>")',
      'telegram.rateLimits.groupPerMinute: Telegram allows 20 messages per minute in a group: use 20 or less',
      'telegram.tokn: unknown key "tokn" (known: enabled, mode, tokenEnv, apiRoot, users, chats, confirmTtlSeconds, delivery, rateLimits): remove it or fix its name',
    ])
  })

  it('keeps devnet mode on a local Bot API server', () => {
    expect(configProblems(base({ enabled: true, mode: 'devnet', apiRoot: 'https://api.telegram.org' }))).toEqual([
      'telegram.apiRoot: devnet mode talks to a local Bot API server, not api.telegram.org: use "mode": "live" with a token, or a 127.0.0.1 apiRoot',
    ])
    expect(configProblems(base({ enabled: true, mode: 'devnet' }))).toEqual([
      'telegram.mode: devnet mode needs "apiRoot": add the local Bot API server\'s URL (e.g. "http://127.0.0.1:8581")',
    ])
  })
})
