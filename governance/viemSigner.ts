import type { LocalAccount, TypedDataDomain } from 'viem'

/**
 * An ethers-v5-style signer over a viem local account, for snapshot.js `Client712` (which calls
 * `signer._signTypedData(domain, types, message)`). The primary type is the one type no other
 * type refers to, as ethers derives it.
 */
export interface EthersStyleSigner {
  getAddress(): Promise<string>
  _signTypedData(domain: TypedDataDomain, types: Record<string, { name: string; type: string }[]>, message: Record<string, unknown>): Promise<string>
}

export function primaryTypeOf(types: Record<string, { name: string; type: string }[]>): string {
  const names = Object.keys(types).filter((k) => k !== 'EIP712Domain')
  const referenced = new Set(Object.values(types).flatMap((fields) => fields.map((f) => f.type.replace(/\[\d*\]$/, ''))))
  const roots = names.filter((n) => !referenced.has(n))
  if (roots.length !== 1) throw new Error(`typed data has ${roots.length} root types (${roots.join(', ')}): expected exactly one`)
  return roots[0]!
}

export function ethersSignerFromViem(account: LocalAccount): EthersStyleSigner {
  return {
    getAddress: async () => account.address,
    _signTypedData: (domain, types, message) =>
      account.signTypedData({ domain, types, primaryType: primaryTypeOf(types), message }),
  }
}
