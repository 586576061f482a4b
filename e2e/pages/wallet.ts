/**
 * An app page with a real EIP-1193 wallet: a viem local account (a real secp256k1 key) answers
 * eth_requestAccounts, eth_chainId and personal_sign, as an injected wallet would. URL parameters:
 * `node` (node name), `key` (which test key: 0 or 1), `chain` (chain id), `signer` (sign with another
 * key than the account it claims: a forged wallet), `peers` (server peers to sync with).
 */
import { privateKeyToAccount } from 'viem/accounts'
import { connect, type Kiln, type StreamSnapshot } from '../../src/client/index.js'
import type { EthereumProvider } from '../../src/client/sign-in.js'

// Well-known public test keys (Hardhat's dev accounts 0 and 1); never hold value with them.
const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
] as const

declare global {
  interface Window { kiln?: Kiln, ethereum?: EthereumProvider, connectError?: unknown, walletPrompts: number, events: StreamSnapshot[] }
}

const params = new URLSearchParams(location.search)
const account = privateKeyToAccount(KEYS[Number(params.get('key') ?? 0)])
const signer = privateKeyToAccount(KEYS[Number(params.get('signer') ?? params.get('key') ?? 0)])
const chainId = Number(params.get('chain') ?? 1)

window.walletPrompts = 0
// What subscriptions in this tab delivered (tests subscribe with `(s) => window.events.push(s)`).
window.events = []
window.ethereum = {
  async request ({ method, params: args = [] }) {
    switch (method) {
      case 'eth_requestAccounts':
      case 'eth_accounts':
        return [account.address]
      case 'eth_chainId':
        return `0x${chainId.toString(16)}`
      case 'personal_sign':
        window.walletPrompts++
        return await signer.signMessage({ message: { raw: args[0] as `0x${string}` } })
      default:
        throw new Error(`unsupported method ${method}`)
    }
  }
}

try {
  const peers = params.get('peers')?.split(',').filter((p) => p !== '') ?? []
  window.kiln = await connect({ name: params.get('node') ?? 'kiln-wallet', peers })
  document.querySelector('#status')!.textContent = 'ready'
} catch (err) {
  window.connectError = { code: (err as { code?: string }).code, message: (err as Error).message }
  document.querySelector('#status')!.textContent = 'failed'
}
