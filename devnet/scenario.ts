import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseScenario, type Scenario } from './market'

/** Folder of the bundled scenarios (calm.json, stress.json, …). */
export const SCENARIO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios')

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort()
}

/** Loads a bundled scenario by name ("calm", "stress") or a scenario file by path. */
export async function loadScenario(nameOrPath = 'calm'): Promise<Scenario> {
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes(path.sep)
  const file = isPath ? path.resolve(nameOrPath) : path.join(SCENARIO_DIR, `${nameOrPath}.json`)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new Error(isPath ? `scenario file ${file} not found` : `unknown scenario "${nameOrPath}" (known: ${scenarioNames().join(', ')}; or give a path to a .json file)`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new Error(`scenario ${file}: invalid JSON: ${(err as Error).message}`)
  }
  return parseScenario(json)
}
