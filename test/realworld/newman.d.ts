/** The part of newman's API the RealWorld test uses (newman ships no types, and @types/newman is not installed). */
declare module 'newman' {
  export interface NewmanRunOptions {
    collection: string | object
    folder?: string | string[]
    envVar?: { key: string; value: string }[]
    reporters?: string | string[]
    timeoutRequest?: number
  }
  export interface NewmanRunFailure {
    error: { name: string; message: string; test?: string }
    source?: { name?: string }
  }
  export interface NewmanRunExecution {
    item: { name: string }
    response?: { code: number; text(): string }
    assertions?: { assertion: string; error?: { message: string } }[]
  }
  export interface NewmanRunSummary {
    run: {
      stats: Record<'requests' | 'assertions' | 'testScripts', { total: number; failed: number; pending?: number }>
      failures: NewmanRunFailure[]
      executions: NewmanRunExecution[]
    }
  }
  export function run(options: NewmanRunOptions, callback: (error: Error | null, summary: NewmanRunSummary) => void): unknown
  const newman: { run: typeof run }
  export default newman
}
