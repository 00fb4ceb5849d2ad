import { z } from 'zod'
import { getAddress, isAddress } from 'viem'

const HEX40 = /^0x[0-9a-fA-F]{40}$/

/**
 * An EVM address in config; mixed case must be a valid EIP-55 checksum. Normalised to checksum
 * form. One definition for every config section (schema, wormhole, custody), so their errors agree.
 */
export const address = z
  .string({ error: 'expected an address string like "0x…" (40 hex digits)' })
  .refine((s) => HEX40.test(s), {
    error: (iss) => `malformed address ${JSON.stringify(iss.input)}: expected 0x followed by 40 hex digits`,
  })
  .refine((s) => !HEX40.test(s) || isAddress(s, { strict: true }), {
    error: (iss) => `address ${JSON.stringify(iss.input)} has a wrong EIP-55 checksum: write it all lower-case or copy the checksummed form`,
  })
  .transform((s) => getAddress(s))
