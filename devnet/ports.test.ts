import { describe, expect, it } from 'vitest'
import { DEFAULT_DEVNET_PORTS, devnetPorts, namedPorts } from './ports'

describe('devnet ports', () => {
  it('are the well-known ones without POOLWARDEN_DEVNET_PORTS', () => {
    expect(devnetPorts({})).toEqual({ chains: [8545, 8546, 8547], hub: 3300, txService: 3310, botApi: 8581, guardian: 7071 })
    expect(devnetPorts({ POOLWARDEN_DEVNET_PORTS: ' ' })).toEqual(DEFAULT_DEVNET_PORTS)
  })

  it('all move together from a base: chains base.., hub +10, tx service +11, Bot API +12, guardian +13', () => {
    expect(devnetPorts({ POOLWARDEN_DEVNET_PORTS: '22350' })).toEqual({ chains: [22350, 22351, 22352], hub: 22360, txService: 22361, botApi: 22362, guardian: 22363 })
    const named = namedPorts(devnetPorts({ POOLWARDEN_DEVNET_PORTS: '22350' }), ['ethereum', 'arbitrum', 'base'])
    expect(new Set(named.map((p) => p.port)).size).toBe(7)
    expect(named[0]).toEqual({ port: 22350, what: 'chain ethereum' })
  })

  it('a base that is not a usable port names the variable and the fix', () => {
    for (const bad of ['80', 'abc', '65530', '1.5']) {
      expect(() => devnetPorts({ POOLWARDEN_DEVNET_PORTS: bad })).toThrow(/POOLWARDEN_DEVNET_PORTS: expected a base port .* got "/)
    }
  })
})
