/** Test fixtures for the config (no I/O). */

export const WSTETH = '0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0'
export const ACCOUNT = '0x00000000000000000000000000000000DeaDBeef'

/** A small valid config; tests break one thing at a time (raw JSON, so loosely typed on purpose). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function baseConfigInput(): Record<string, any> {
  return {
    chains: [
      { name: 'ethereum', chainId: 1, rpc: [{ url: 'https://eth.example' }] },
      { name: 'arbitrum', chainId: 42161, rpc: [{ url: 'https://arb.example' }] },
      { name: 'base', chainId: 8453, rpc: [{ url: 'https://base.example' }] },
    ],
    pool: { account: ACCOUNT, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: WSTETH }] },
    venues: [
      { id: 'lido', chain: 'ethereum', protocol: 'lido', kind: 'lst', address: WSTETH, rateMethod: 'stEthPerToken' },
      { id: 'vault', chain: 'ethereum', protocol: 'x', kind: 'erc4626', address: '0x775F661b0bD1739349b9A2A3EF60be277c5d2D29' },
      { id: 'aave-arb', chain: 'arbitrum', protocol: 'aave-v3', kind: 'aave-v3', address: '0x794a61358D6845594F94dc1DB02A252b5b4814aD', dataProvider: '0x243Aa95cAC2a25651eda86e80bEe66114413c43b', asset: '0x5979D7b546E38E414F7E9822514be443A4800529', aToken: '0x513c7E3a9c69cA3e22550eF58AC1C0088e918FFf' },
    ],
  }
}

