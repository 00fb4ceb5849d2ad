import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SecretError } from '../config/secrets'
import { DEVNET_BOT_TOKEN, telegramConnection } from './config'
import { testConfig } from './testing'

describe('the token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poolwarden-tg-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const live = testConfig({ mode: 'live', apiRoot: undefined }).telegram
  const TOKEN = '123456789:ABCdefGhIJKlmnoPQRstuVWXyz0123456789'

  it('needs none in devnet mode', () => {
    expect(telegramConnection(testConfig({}, 'http://127.0.0.1:9').telegram, {})).toEqual({ token: DEVNET_BOT_TOKEN, apiRoot: 'http://127.0.0.1:9' })
  })

  it('comes from the env or a _FILE live, and errors never show it', () => {
    expect(telegramConnection(live, { POOLWARDEN_TELEGRAM_TOKEN: TOKEN }).token).toBe(TOKEN)
    const file = join(dir, 'token')
    writeFileSync(file, `${TOKEN}\n`)
    expect(telegramConnection(live, { POOLWARDEN_TELEGRAM_TOKEN_FILE: file }).token).toBe(TOKEN)
    expect(() => telegramConnection(live, {})).toThrow(
      'secret POOLWARDEN_TELEGRAM_TOKEN: not set: export POOLWARDEN_TELEGRAM_TOKEN (the bot token from @BotFather) or POOLWARDEN_TELEGRAM_TOKEN_FILE=/path/to/a/file holding it',
    )
    const bad = 'not-a-token-ABCdefGhIJKlmnoPQRstuVWXyz'
    const err = (() => {
      try {
        telegramConnection(live, { POOLWARDEN_TELEGRAM_TOKEN: bad })
      } catch (e) {
        return e as Error
      }
    })()
    expect(err).toBeInstanceOf(SecretError)
    expect(err!.message).toMatch(/not a bot token/)
    expect(err!.message).not.toContain(bad)
  })
})
