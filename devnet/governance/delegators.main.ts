/**
 * PM2 entry of the devnet's delegators (`delegators`, devnet only). Seeds the governance world of
 * the scenario on the local hub and the devnet PoolGovernor (idempotent: a restart seeds nothing
 * twice; it first waits until the hub answers), then runs the delegator actor on the pool's signalling
 * space: votes, revotes and refused bad inputs over time (devnet/governance/delegators.ts).
 * Env: POOLWARDEN_CONFIG (hub URLs from governance.snapshot), POOLWARDEN_SCENARIO (default calm),
 * POOLWARDEN_DEPLOYMENT (default .devnet/deployment.json).
 */
import { loadConfig } from '../../config/load'
import { describeError } from '../../core/errors'
import { createLogger } from '../../core/logger'
import { createShutdown, sleep } from '../../core/shutdown'
import { readDeployment } from '../deploymentFile'
import { loadScenario } from '../scenario'
import { createDelegatorActor, delegatorIdentities } from './delegators'
import { seedGovernance } from './seed'
import { waitForHttp } from '../ready'

async function main(): Promise<void> {
  const logger = createLogger({ agent: 'delegators' })
  const shutdown = createShutdown({ handleSignals: true })
  const config = loadConfig()
  const deployment = await readDeployment(process.env.POOLWARDEN_DEPLOYMENT ?? '.devnet/deployment.json')
  const scenario = await loadScenario(process.env.POOLWARDEN_SCENARIO || 'calm')
  const gov = scenario.governance
  if (!gov) {
    logger.info({ scenario: scenario.name }, 'the scenario has no governance section: nothing to do')
    await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }))
    return
  }
  const hubUrl = config.governance.snapshot.sequencerUrl.replace(/\/$/, '')
  const t0 = Math.floor(Date.parse(deployment.deployedAt) / 1000)
  // Wait for the hub to answer before seeding (npm start starts it first and waits too; a restart
  // of the hub alone lands here), instead of failing and retrying blind.
  logger.info({ hub: hubUrl }, 'waiting for the Snapshot hub to answer')
  await waitForHttp('the Snapshot hub', config.governance.snapshot.graphqlUrl, {
    timeoutMs: 24 * 3_600_000,
    signal: shutdown.signal,
    init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' },
  }).catch((err: unknown) => {
    if (!shutdown.signal.aborted) throw err
  })
  for (let attempt = 1; !shutdown.signal.aborted; attempt++) {
    try {
      const seeded = await seedGovernance({ hubUrl, deployment, governance: gov, t0 })
      logger.info(
        {
          spaces: seeded.spaces,
          snapshotProposals: seeded.snapshotProposals.map((p) => ({ id: p.id, type: p.type, title: p.title, start: p.start, end: p.end, created: p.created })),
          skipped: seeded.skipped,
          governorProposals: seeded.governorProposals.map((p) => ({ id: p.id.toString(), state: p.state, description: p.description.split('\n')[0], created: p.created })),
        },
        'governance world seeded',
      )
      break
    } catch (err) {
      logger.warn({ attempt, err: describeError(err) }, 'seeding failed: retrying')
      await sleep(Math.min(10_000, 500 * attempt), shutdown.signal)
    }
  }
  const actor = createDelegatorActor({
    sequencerUrl: hubUrl,
    graphqlUrl: config.governance.snapshot.graphqlUrl,
    space: gov.spaces.signals,
    delegators: delegatorIdentities(deployment, gov.delegators.accounts),
    config: gov.delegators,
    logger,
  })
  logger.info({ space: gov.spaces.signals, delegators: gov.delegators.accounts, t0 }, 'delegators watching the signalling space')
  await actor.run(shutdown.signal)
}

main().catch((err) => {
  console.error(`delegators: ${describeError(err)}`)
  process.exit(1)
})
