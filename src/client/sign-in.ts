import type { NodeCalls } from '../api/calls.js'
import { renewLock } from '../api/names.js'
import type { SessionInfo } from '../api/types.js'
import { WalletError } from '../errors.js'

/** Any EIP-1193 provider: `window.ethereum`, or a wallet library's provider. */
export interface EthereumProvider {
  request: (args: { method: string, params?: unknown[] }) => Promise<unknown>
}

export interface SignInOptions {
  /** What the session may write; Ceramic's forms. Default `['ceramic://*']`. */
  resources?: string[]
  /** Session lifetime in seconds. Default 7 days (did-session's). */
  expiresIn?: number
  /** The sentence the wallet shows above the SIWE message. */
  statement?: string
  /** Ask the wallet again this many seconds before the session expires (0: never). Default 1 day, at most half the lifetime. */
  renewBefore?: number
}

export const DEFAULT_SESSION_SECONDS = 7 * 24 * 60 * 60
export const DEFAULT_RENEW_BEFORE_SECONDS = 24 * 60 * 60
// setTimeout's longest delay; a longer wait is taken in steps.
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Sign-In with Ethereum, as Ceramic's did-session does it, but with the session key in the worker:
 * the node makes the key and gives this page only its DID; the wallet signs a SIWE message with that
 * DID as audience (in the page, where the wallet is); the node checks the CACAO and keeps it.
 */
export async function signInWithEthereum (api: Pick<NodeCalls, 'prepareSession' | 'completeSession'>, provider: EthereumProvider, options: SignInOptions = {}): Promise<SessionInfo> {
  // Loaded on first sign-in only: apps that never use a wallet do not carry this code.
  const { EthereumWebAuth, getAccountId } = await import('@didtools/pkh-ethereum')
  const accounts = await fromWallet('eth_requestAccounts', async () => await provider.request({ method: 'eth_requestAccounts' }))
  if (!Array.isArray(accounts) || accounts.length === 0 || typeof accounts[0] !== 'string') throw new WalletError('The wallet gave no account')
  const accountId = await fromWallet('eth_chainId', async () => await getAccountId(provider, accounts[0] as string))
  const sessionDid = await api.prepareSession()
  const cacao = await fromWallet('sign', async () => {
    const authMethod = await EthereumWebAuth.getAuthMethod(provider, accountId)
    return await authMethod({
      uri: sessionDid,
      resources: options.resources ?? ['ceramic://*'],
      expirationTime: new Date(Date.now() + (options.expiresIn ?? DEFAULT_SESSION_SECONDS) * 1000).toISOString(),
      statement: options.statement
    })
  })
  // The node's own verdict on the CACAO (a forged or expired one) arrives as its typed error.
  return await api.completeSession(cacao)
}

/** A wallet's refusal or failure becomes a WalletError, keeping the wallet's own error as its cause. */
async function fromWallet<T> (step: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    const walletCode = (err as { code?: unknown } | null)?.code
    throw new WalletError(`The wallet failed at ${step}: ${(err as Error)?.message ?? String(err)}`, { step, walletCode }, { cause: err })
  }
}

/**
 * Renews a session before it expires by asking the wallet again. Only one tab asks: the one that
 * takes the Web Lock `kiln-renew:<account>` first. Returns a function that cancels the renewal.
 */
export function scheduleRenewal (session: SessionInfo, renew: () => Promise<SessionInfo>, options: SignInOptions = {}, onError: (err: unknown) => void = reportError): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  let cancelled = false
  const plan = (current: SessionInfo): void => {
    if (cancelled || current.expiresAt == null) return
    const expiresAt = Date.parse(current.expiresAt)
    const lifetime = expiresAt - Date.now()
    const before = Math.min((options.renewBefore ?? DEFAULT_RENEW_BEFORE_SECONDS) * 1000, lifetime / 2)
    if (options.renewBefore === 0) return
    const wait = expiresAt - before - Date.now()
    timer = setTimeout(() => {
      if (wait > MAX_TIMER_MS) { plan(current); return }
      void navigator.locks.request(renewLock(current.account), { ifAvailable: true }, async (lock) => {
        if (lock == null || cancelled) return
        plan(await renew())
      }).catch(onError)
    }, Math.max(0, Math.min(wait, MAX_TIMER_MS)))
  }
  plan(session)
  return () => { cancelled = true; clearTimeout(timer) }
}
