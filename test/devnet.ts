import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest'
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  type Account,
  type Chain,
  type Hex,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
} from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import type { Config } from '../config/schema'
import { devAccount, devKey, ROLES } from '../devnet/accounts'
import { devnetChain, type Deployment, type SimVenue } from '../devnet/deploy'
import { startLocalDevnet, type LocalDevnet } from '../devnet/local'
import type { Scenario } from '../devnet/market'
import { loadScenario } from '../devnet/scenario'
import { createSimulator, type Simulator, type SimulatorOptions } from '../devnet/simulator'

/**
 * Test helpers over the devnet started by test/devnet.globalSetup.ts.
 *
 *   const devnet = useDevnet()          // also: snapshot before each test, revert after it
 *   const { public: client } = devnet.chain('ethereum')
 *   await devnet.mine('ethereum', 5)
 *   const sim = await devnet.simulator('stress'); await sim.step(0)
 */

/** What the global setup provides (JSON-serialisable). */
export interface DevnetContext {
  config: Config
  deployment: Deployment
  chains: Array<{ name: string; chainId: number; url: string; port: number }>
  timings: { anvilMs: number; compileMs: number; deployMs: number }
}

declare module 'vitest' {
  export interface ProvidedContext {
    devnet: DevnetContext
  }
}

export interface DevnetChain {
  name: string
  chainId: number
  url: string
  chain: Chain
  public: PublicClient
  test: TestClient<'anvil', Transport, Chain>
  /** A wallet client for a dev account (index into anvil's accounts, or an account); default the pool (#1). */
  wallet(account?: number | PrivateKeyAccount): WalletClient<Transport, Chain, Account>
}

export interface Devnet extends DevnetContext {
  chain(name: string): DevnetChain
  /** Every chain, in config order. */
  allChains(): DevnetChain[]
  /** pool: the pool's account and the executor's key (#1); voter: the governor's own voting key (#10). */
  accounts: { deployer: PrivateKeyAccount; pool: PrivateKeyAccount; voter: PrivateKeyAccount; operator: PrivateKeyAccount; delegators: PrivateKeyAccount[] }
  /** The pool's key on the devnet (anvil #1), the executor's: what POOLWARDEN_EXECUTOR_KEY holds for agents under test. */
  poolKey: Hex
  /** The governor's voting key on the devnet (#10): what POOLWARDEN_VOTER_KEY holds for agents under test. */
  voterKey: Hex
  /** A deployed venue by id, with its chain. */
  venue(id: string): SimVenue & { chain: string }
  /** evm_snapshot on every chain (pushes one level). */
  snapshot(): Promise<void>
  /** evm_revert on every chain to the latest snapshot (pops it). */
  revert(): Promise<void>
  /** Mines `n` blocks (default 1) on one chain, one second apart. */
  mine(chain: string, n?: number): Promise<void>
  /** A market simulator over this devnet for a scenario (name, path or parsed). */
  simulator(scenario?: string | Scenario, opts?: Partial<Omit<SimulatorOptions, 'deployment' | 'scenario'>>): Promise<Simulator>
}

let cached: Devnet | undefined

function build(ctx: DevnetContext): Devnet {
  const chains = new Map<string, DevnetChain>()
  for (const c of ctx.chains) {
    const chain = devnetChain(c)
    const transport = http(c.url)
    chains.set(c.name, {
      name: c.name,
      chainId: c.chainId,
      url: c.url,
      chain,
      // cacheTime 0: a block number read after a revert must not come from a cache.
      public: createPublicClient({ chain, transport, pollingInterval: 50, cacheTime: 0 }),
      test: createTestClient({ mode: 'anvil', chain, transport }),
      wallet: (account = ROLES.pool) =>
        createWalletClient({ account: typeof account === 'number' ? devAccount(account) : account, chain, transport, pollingInterval: 50, cacheTime: 0 }),
    })
  }
  const stacks = new Map<string, Hex[]>(ctx.chains.map((c) => [c.name, []]))
  const chainOf = (name: string): DevnetChain => {
    const c = chains.get(name)
    if (!c) throw new Error(`devnet: unknown chain "${name}" (known: ${[...chains.keys()].join(', ')})`)
    return c
  }
  return {
    ...ctx,
    chain: chainOf,
    allChains: () => [...chains.values()],
    accounts: {
      deployer: devAccount(ROLES.deployer),
      pool: devAccount(ROLES.pool),
      voter: devAccount(ROLES.voter),
      operator: devAccount(ROLES.operator),
      delegators: ROLES.delegators.map((i) => devAccount(i)),
    },
    poolKey: devKey(ROLES.pool),
    voterKey: devKey(ROLES.voter),
    venue(id) {
      for (const c of Object.values(ctx.deployment.chains)) {
        const v = c.venues.find((x) => x.id === id)
        if (v) return { ...v, chain: c.name }
      }
      throw new Error(`devnet: unknown venue "${id}"`)
    },
    async snapshot() {
      await Promise.all(
        [...chains.values()].map(async (c) => {
          stacks.get(c.name)!.push(await c.test.snapshot())
        }),
      )
    },
    async revert() {
      await Promise.all(
        [...chains.values()].map(async (c) => {
          const id = stacks.get(c.name)!.pop()
          if (!id) throw new Error(`devnet: revert on ${c.name} without a snapshot`)
          await c.test.revert({ id })
        }),
      )
    },
    async mine(name, n = 1) {
      await chainOf(name).test.mine({ blocks: n, interval: 1 })
    },
    async simulator(scenario = 'calm', opts = {}) {
      const s = typeof scenario === 'string' ? await loadScenario(scenario) : scenario
      return createSimulator({ ...opts, deployment: ctx.deployment, scenario: s })
    },
  }
}

/**
 * A devnet of a test file's own (startLocalDevnet, e.g. custody "safe" where the shared devnet is
 * "eoa") behind the same helpers as useDevnet's; isolate it with its snapshot()/revert().
 */
export function devnetOf(local: Pick<LocalDevnet, 'config' | 'deployment' | 'nodes' | 'timings'>): Devnet {
  return build({
    config: local.config,
    deployment: local.deployment,
    chains: Object.values(local.deployment.chains).map((c, i) => ({ name: c.name, chainId: c.chainId, url: c.url, port: local.nodes[i]!.port })),
    timings: local.timings,
  })
}

/**
 * The devnet of this test run. With `isolate` (default), every test runs between an
 * evm_snapshot (beforeEach) and an evm_revert (afterEach) on all chains, so tests see the freshly
 * deployed world and leave nothing behind. Call it at the top of a test file or describe block.
 */
export function useDevnet(opts: { isolate?: boolean } = {}): Devnet {
  cached ??= build(inject('devnet'))
  const devnet = cached
  if (opts.isolate !== false) {
    beforeEach(() => devnet.snapshot())
    afterEach(() => devnet.revert())
  }
  return devnet
}

/**
 * A devnet of this test file's own (startLocalDevnet on POOLWARDEN_TEST_PORT + `offset`: custody
 * "safe" where the shared devnet is "eoa", or a fresh chain history), started once for the file and
 * stopped after it; every test runs between a snapshot and a revert. The devnet starts in beforeAll,
 * after the file's top level ran, so what is returned forwards to it: use it in hooks and tests.
 */
export function useOwnDevnet(offset: number, opts: { custody: 'safe' | 'eoa' }): Devnet {
  let local: LocalDevnet | undefined
  let devnet: Devnet | undefined
  beforeAll(async () => {
    local = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + offset, custody: opts.custody })
    devnet = devnetOf(local)
  }, 300_000)
  afterAll(async () => {
    await local?.stop()
  })
  beforeEach(() => devnet!.snapshot())
  afterEach(() => devnet!.revert())
  return new Proxy({} as Devnet, {
    get(_target, key) {
      if (!devnet) throw new Error(`useOwnDevnet: the devnet starts in beforeAll (read .${String(key)} in a hook or a test)`)
      return Reflect.get(devnet, key)
    },
  })
}
