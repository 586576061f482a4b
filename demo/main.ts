// The demo app: notes kept by Kiln. It imports the built library exactly as an app would.
import { connect, type Conflict, type ConflictSide, type EthereumProvider, type Kiln, type StreamSnapshot } from 'kiln'
import { type FilesPanel, mountFilesPanel } from './files-panel.js'
import { localPeers } from './local-peers.js'

declare global {
  interface Window { ethereum?: EthereumProvider }
}

const FAMILY = 'kiln-demo-note'
/** Peers come and go: the status line is refreshed this often. */
const STATUS_REFRESH_MS = 2_000
const $ = <T extends HTMLElement>(selector: string): T => document.querySelector(selector) as T

let kiln: Kiln
let current: StreamSnapshot | undefined
let stopWatching: (() => Promise<void>) | undefined
let files: FilesPanel | undefined

async function start (): Promise<void> {
  kiln = await connect({ peers: await localPeers(), onClosed: (error) => { $('#status').textContent = `stopped: ${error.message}` } })
  await showIdentity()
  const wallet = window.ethereum
  const connectButton = $<HTMLButtonElement>('#connect-wallet')
  connectButton.disabled = wallet == null
  if (wallet == null) connectButton.title = 'No injected wallet (window.ethereum) in this browser'
  connectButton.addEventListener('click', () => {
    void run(async () => {
      if (wallet == null) return
      await kiln.signIn(wallet, { statement: 'Sign in to Kiln notes' })
      await showIdentity()
    })
  })
  // Any tab's new or edited note shows up here.
  await kiln.subscribe({ family: FAMILY }, () => { void refreshList() })
  await refreshList()
  setInterval(() => { showStatus().catch(() => {}) }, STATUS_REFRESH_MS)
  $('#new-note').addEventListener('click', () => { void run(createNote) })
  // Someone else's note, shared by its id: fetched from the network if this browser lacks it.
  $('#open-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const id = $<HTMLInputElement>('#open-id').value.trim()
    $('#open-message').textContent = 'looking for it…'
    kiln.load(id).then(
      async (note) => { $('#open-message').textContent = ''; await open(note) },
      (err: { code?: string, message: string }) => {
        $('#open-message').textContent = err.code === 'ERR_STREAM_NOT_FOUND' ? 'Not found here or on any connected peer.' : `${err.code ?? 'error'}: ${err.message}`
      }
    )
  })
  $('#save').addEventListener('click', () => { void run(saveNote) })
  files = await mountFilesPanel(kiln, { current: () => current, open, run })
  // Private notes: this account's devices publish their encryption keys, then others can write for it.
  $('#accept-private').addEventListener('click', () => {
    void runPrivate(async () => {
      await kiln.publishEncryptionKey()
      const status = await kiln.status()
      $('#private-message').textContent = `Others can now share private notes with ${status.session?.account ?? status.did ?? 'this account'}`
    })
  })
  $('#private-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const readers = $<HTMLInputElement>('#private-readers').value.split(',').map((r) => r.trim()).filter((r) => r !== '')
    void runPrivate(async () => {
      await open(await kiln.create({ content: { title: 'Untitled', body: '' }, family: FAMILY, private: { readers } }))
      $('#private-message').textContent = ''
      await refreshList()
    })
  })
}

/** Like `run`, for the private-note controls: errors (ERR_NO_READER_KEY…) show beside them. */
async function runPrivate (action: () => Promise<void>): Promise<void> {
  try {
    await action()
  } catch (err) {
    const { code, message } = err as { code?: string, message: string }
    $('#private-message').textContent = `${code ?? 'error'}: ${message}`
  }
}

/** Who writes: the signed-in wallet account (and how many streams it controls here), or this device. */
async function showIdentity (): Promise<void> {
  const status = await showStatus()
  const session = status.session
  if (session == null) return
  const owned = await kiln.query({ controller: session.account }, { limit: 1000 })
  $('#account').textContent = `Signed in as ${session.account} · ${owned.items.length} stream${owned.items.length === 1 ? '' : 's'} · session until ${new Date(session.expiresAt ?? 0).toLocaleString()}`
  $<HTMLButtonElement>('#connect-wallet').textContent = 'Reconnect wallet'
}

/** The status line: who writes, where the node runs, how many peers it syncs with now, and what is on none of them yet. */
async function showStatus (): Promise<Awaited<ReturnType<Kiln['status']>>> {
  const status = await kiln.status()
  const peers = status.network?.peers.length
  const network = status.network
  // Changes no peer holds yet live only in this browser's storage: say so, as a mail client shows its outbox.
  const unconfirmed = network == null || network.unconfirmed === 0 ? '' : ` · ${network.unconfirmed} not saved on a peer yet`
  const sync = network == null ? ' · offline' : ` · ${peers ?? 0} peer${peers === 1 ? '' : 's'}${network.syncing ? ' · syncing…' : ''}${unconfirmed}`
  $('#status').textContent = `${status.did ?? 'read-only'} · ${status.mode} · ${status.storage}${sync}`
  return status
}

async function refreshList (): Promise<void> {
  const { items } = await kiln.query({ family: FAMILY }, { limit: 100 })
  $('#notes').replaceChildren(...items.map((note) => {
    const item = document.createElement('li')
    const button = document.createElement('button')
    button.textContent = titleOf(note)
    button.dataset.id = note.id
    button.setAttribute('aria-current', String(note.id === current?.id))
    button.addEventListener('click', () => { void run(async () => { await open(await kiln.load(note.id)) }) })
    item.append(button)
    return item
  }))
}

async function createNote (): Promise<void> {
  await open(await kiln.create({ content: { title: 'Untitled', body: '' }, family: FAMILY }))
  await refreshList()
  await showIdentity()
}

async function saveNote (): Promise<void> {
  if (current == null) return
  // The note's other fields (its image) stay as they are.
  const content = { ...(current.content as object), title: $<HTMLInputElement>('#title').value, body: $<HTMLTextAreaElement>('#body').value }
  // expectedTip: if another tab saved first, the node refuses instead of overwriting silently.
  await open(await kiln.update(current.id, { content, expectedTip: current.tip }))
  $('#message').textContent = 'saved'
}

async function open (note: StreamSnapshot): Promise<void> {
  current = note
  await stopWatching?.()
  stopWatching = await kiln.subscribe(note.id, (updated) => { void open(updated) })
  $('#editor').hidden = false
  $('#note-id').textContent = note.id
  $<HTMLInputElement>('#title').value = (note.content as { title?: string } | null)?.title ?? ''
  $<HTMLTextAreaElement>('#body').value = (note.content as { body?: string } | null)?.body ?? ''
  // A private note: who reads it, or that this browser holds no key for it (content is null then).
  const secret = note.private
  $('#private-info').hidden = secret == null
  $('#private-info').textContent = secret == null ? '' : secret.readable ? `Private, readable by ${secret.readers.join(', ')}` : 'A private note this browser cannot read.'
  $<HTMLButtonElement>('#save').disabled = secret?.readable === false
  $('#message').textContent = `${note.log.length} version${note.log.length === 1 ? '' : 's'}, signed by ${note.metadata.controllers[0].slice(0, 24)}…`
  const history = await kiln.history(note.id)
  $('#history').replaceChildren(...history.map((entry, i) => {
    const item = document.createElement('li')
    const button = document.createElement('button')
    button.textContent = `version ${i + 1}`
    button.addEventListener('click', () => { void run(async () => { $('#version').textContent = JSON.stringify((await kiln.load(entry.commitId)).content, null, 2) }) })
    item.append(button, ` ${entry.receivedAt == null ? '' : new Date(entry.receivedAt).toLocaleTimeString()}`)
    return item
  }))
  for (const button of document.querySelectorAll<HTMLButtonElement>('#notes button')) button.setAttribute('aria-current', String(button.dataset.id === note.id))
  showConflicts(note)
  files?.showNote(note)
}

/**
 * Edits two devices made to one field while apart: the note shows one (the same on every device),
 * the other is listed here with it, and whichever the user keeps (or a value they type) is written
 * as a resolution that closes the conflict on every device.
 */
function showConflicts (note: StreamSnapshot): void {
  const conflicts = note.conflicts ?? []
  $('#conflicts').hidden = conflicts.length === 0
  $('#conflict-list').replaceChildren(...conflicts.map((conflict) => {
    const item = document.createElement('li')
    item.className = 'conflict'
    const field = conflict.path.slice(1).replace(/\//g, '.') || 'the whole note'
    const heading = document.createElement('strong')
    heading.textContent = field
    item.append(heading, ` (was ${shownValue(conflict.base)})`,
      conflictSide(conflict, conflict.shown, 'shown now'), conflictSide(conflict, conflict.other, 'the other edit'), customValue(conflict))
    return item
  }))
}

function conflictSide (conflict: Conflict, side: ConflictSide, label: string): HTMLElement {
  const row = document.createElement('div')
  row.className = 'conflict-side'
  const value = document.createElement('code')
  value.textContent = shownValue(side.value)
  const who = document.createElement('span')
  who.className = 'muted'
  who.textContent = `${label} · by ${side.author ?? 'unknown'} · version ${side.commit.slice(-8)}`
  const keep = document.createElement('button')
  keep.textContent = 'Keep this'
  keep.addEventListener('click', () => { void resolve(conflict, side.value) })
  row.append(value, who, keep)
  return row
}

/** A value of the user's own instead of either side's (text, as the note's fields are). */
function customValue (conflict: Conflict): HTMLElement {
  const form = document.createElement('form')
  form.className = 'conflict-custom'
  const label = document.createElement('label')
  const input = document.createElement('input')
  label.append('Or another value ', input)
  const use = document.createElement('button')
  use.textContent = 'Use this value'
  form.append(label, use)
  form.addEventListener('submit', (event) => { event.preventDefault(); void resolve(conflict, input.value) })
  return form
}

async function resolve (conflict: Conflict, value: unknown): Promise<void> {
  await run(async () => {
    await open(await kiln.resolveConflict(conflict.stream, { path: conflict.path, value }))
    $('#message').textContent = 'conflict resolved'
  })
}

/** A value as the user reads it: text as is, anything else as JSON, an absent one as "(removed)". */
function shownValue (value: unknown): string {
  if (value === undefined) return '(removed)'
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value)
}

async function run (action: () => Promise<void>): Promise<void> {
  $('#message').classList.remove('error')
  try {
    await action()
  } catch (err) {
    const { code, message } = err as { code?: string, message: string }
    $('#message').textContent = code === 'ERR_STALE_TIP' ? 'Another tab saved first: this note now shows its version.' : `${code ?? 'error'}: ${message}`
    $('#message').classList.add('error')
    if (code === 'ERR_STALE_TIP' && current != null) await open(await kiln.load(current.id))
  }
}

function titleOf (note: StreamSnapshot): string {
  if (note.private?.readable === false) return '🔒 (a private note)'
  const title = (note.content as { title?: string } | null)?.title?.trim() || 'Untitled'
  return note.private == null ? title : `🔒 ${title}`
}

start().catch((err: unknown) => { $('#status').textContent = `could not start: ${(err as Error).message}` })
