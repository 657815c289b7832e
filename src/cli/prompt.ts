import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { CommandError } from './run-command.js'

/** Questions asked on a terminal, one at a time; hidden answers are never echoed. */
export interface Prompter {
  /** Asks `question` and resolves with the answer as typed (not trimmed). */
  ask(question: string): Promise<string>
  /** Asks `question` without echoing what is typed (passwords). */
  askHidden(question: string): Promise<string>
  close(): void
}

/**
 * Opens a prompter on a terminal (questions go to stderr, so stdout stays for results); Ctrl-C or
 * end of input rejects the pending question with a `CommandError` ("Operation cancelled.").
 */
export function createPrompter(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Prompter {
  let muted = false
  // readline echoes every keystroke to its output; while a password is typed, that echo is dropped.
  const sink = new Writable({
    write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void) {
      if (!muted) output.write(chunk, encoding)
      callback()
    },
  })
  Object.defineProperty(sink, 'columns', { get: () => output.columns })
  const rl = createInterface({ input, output: sink, terminal: true, historySize: 0 })
  rl.on('SIGINT', () => rl.close())

  const question = (text: string, hidden: boolean): Promise<string> =>
    new Promise((resolve, reject) => {
      const onClose = (): void => {
        muted = false
        output.write('\n')
        reject(new CommandError('Operation cancelled.'))
      }
      rl.once('close', onClose)
      rl.question(text, (answer) => {
        rl.off('close', onClose)
        if (muted) output.write('\n')
        muted = false
        resolve(answer)
      })
      // question() has written the prompt synchronously; from here on, keystrokes are not echoed.
      muted = hidden
    })

  return {
    ask: (text) => question(text, false),
    askHidden: (text) => question(text, true),
    close: () => rl.close(),
  }
}

/** Asks for a new password twice, hidden, until it is not blank and both answers match. */
export async function askNewPassword(prompter: Prompter): Promise<string> {
  for (;;) {
    const password = await prompter.askHidden('Password: ')
    if (password === '') process.stderr.write("Error: Blank passwords aren't allowed.\n")
    else if ((await prompter.askHidden('Password (again): ')) !== password) process.stderr.write("Error: Your passwords didn't match.\n")
    else return password
  }
}
