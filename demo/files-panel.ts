// The demo's files: a profile with an avatar, and an image on a note, both on IPFS through Kiln.
// Adding and reading show a progress bar; on another device the image comes from a peer by its CID.
import type { FileProgress, Kiln, StreamSnapshot } from 'kiln'

const PROFILE_FAMILY = 'kiln-demo-profile'
const FILE_PREFIX = 'ipfs://'

interface Profile { name?: string, avatar?: { src: string, mimeType?: string, size?: number } }
interface NoteContent { title?: string, body?: string, image?: { src: string, mimeType?: string, size?: number } }

export interface FilesPanelHooks {
  /** The note open in the editor, if any. */
  current: () => StreamSnapshot | undefined
  /** Shows the note after a write (the editor's own `open`). */
  open: (note: StreamSnapshot) => Promise<void>
  /** Reports an error as the rest of the demo does. */
  run: (action: () => Promise<void>) => Promise<void>
}

export interface FilesPanel {
  /** Shows the open note's image (read from peers if this browser lacks it), or nothing. */
  showNote: (note: StreamSnapshot) => void
}

const $ = <T extends HTMLElement>(selector: string): T => document.querySelector(selector) as T

/** Fills `#profile` and `#note-files` (empty containers in index.html). */
export async function mountFilesPanel (kiln: Kiln, hooks: FilesPanelHooks): Promise<FilesPanel> {
  $('#profile').replaceChildren(...profileMarkup())
  $('#note-files').replaceChildren(...noteMarkup())
  let profile = await ownProfile(kiln)
  if (profile != null) showProfile(kiln, profile, '#own-avatar', '#avatar-progress')

  $<HTMLInputElement>('#avatar-input').addEventListener('change', (event) => {
    const file = (event.target as HTMLInputElement).files?.[0]
    if (file == null) return
    void hooks.run(async () => {
      const added = await addWithProgress(kiln, file, '#avatar-progress')
      const avatar = { src: FILE_PREFIX + added.cid, mimeType: file.type, size: added.size }
      profile = profile == null
        ? await kiln.create({ content: { name: 'Me', avatar }, family: PROFILE_FAMILY })
        : await kiln.update(profile.id, { content: { ...(profile.content as Profile), avatar } })
      showProfile(kiln, profile, '#own-avatar', '#avatar-progress')
    })
  })

  // Someone's profile by its id: the document from the network, then the avatar by its CID.
  $('#profile-open').addEventListener('submit', (event) => {
    event.preventDefault()
    const id = $<HTMLInputElement>('#profile-id').value.trim()
    void hooks.run(async () => { showProfile(kiln, await kiln.load(id), '#other-avatar', '#other-progress') })
  })

  $<HTMLInputElement>('#note-image-input').addEventListener('change', (event) => {
    const file = (event.target as HTMLInputElement).files?.[0]
    const note = hooks.current()
    if (file == null || note == null) return
    void hooks.run(async () => {
      const added = await addWithProgress(kiln, file, '#note-image-progress')
      const image = { src: FILE_PREFIX + added.cid, mimeType: file.type, size: added.size }
      await hooks.open(await kiln.update(note.id, { content: { ...(note.content as NoteContent), image }, expectedTip: note.tip }))
    })
  })

  let shownNoteImage: string | undefined
  return {
    showNote (note) {
      const src = (note.content as NoteContent | null)?.image?.src
      if (src === shownNoteImage) return
      shownNoteImage = src
      if (src == null) {
        $('#note-image').replaceChildren()
        return
      }
      void hooks.run(async () => { await showImage(kiln, src, '#note-image', '#note-image-progress') })
    }
  }
}

function profileMarkup (): HTMLElement[] {
  const own = document.createElement('div')
  own.className = 'profile-row'
  own.innerHTML = `<span class="avatar" id="own-avatar"></span>
    <label>Avatar <input type="file" id="avatar-input" accept="image/*"></label>
    <progress id="avatar-progress" max="1" value="0" hidden></progress>
    <span class="muted" id="profile-link"></span>`
  const other = document.createElement('form')
  other.id = 'profile-open'
  other.className = 'profile-row'
  other.innerHTML = `<label>Open a profile <input id="profile-id" placeholder="profile id (kjzl…)" autocomplete="off"></label>
    <button>Show profile</button> <span class="avatar" id="other-avatar"></span>
    <progress id="other-progress" max="1" value="0" hidden></progress>`
  return [own, other]
}

function noteMarkup (): HTMLElement[] {
  const row = document.createElement('p')
  row.innerHTML = `<label>Image <input type="file" id="note-image-input" accept="image/*"></label>
    <progress id="note-image-progress" max="1" value="0" hidden></progress>`
  const image = document.createElement('div')
  image.id = 'note-image'
  return [row, image]
}

/** This browser's own profile: the newest profile document its identity controls. */
async function ownProfile (kiln: Kiln): Promise<StreamSnapshot | undefined> {
  const did = (await kiln.status()).did
  if (did == null) return undefined
  const { items } = await kiln.query({ family: PROFILE_FAMILY, controller: did }, { limit: 100 })
  return items.at(-1)
}

function showProfile (kiln: Kiln, profile: StreamSnapshot, avatarSelector: string, progressSelector: string): void {
  if (avatarSelector === '#own-avatar') $('#profile-link').textContent = `Your profile: ${profile.id}`
  const src = (profile.content as Profile | null)?.avatar?.src
  if (src != null) void showImage(kiln, src, avatarSelector, progressSelector).catch((err: Error) => { $(avatarSelector).textContent = err.message })
}

async function addWithProgress (kiln: Kiln, file: File, progressSelector: string): Promise<{ cid: string, size: number }> {
  const bar = $<HTMLProgressElement>(progressSelector)
  return await kiln.addFile(file, { onProgress: (progress) => { showProgress(bar, progress, file.size) } })
}

/** Reads the file by its CID (from a peer when this browser lacks it) and shows it as an image. */
async function showImage (kiln: Kiln, src: string, containerSelector: string, progressSelector: string): Promise<void> {
  const cid = src.slice(FILE_PREFIX.length).split(/[/?#]/)[0]
  const bar = $<HTMLProgressElement>(progressSelector)
  const blob = await kiln.readFile(cid, { onProgress: (progress) => { showProgress(bar, progress) } })
  const img = document.createElement('img')
  img.src = URL.createObjectURL(blob)
  img.alt = 'image from IPFS'
  img.dataset.cid = cid
  await img.decode()
  $(containerSelector).replaceChildren(img)
}

function showProgress (bar: HTMLProgressElement, progress: FileProgress, fallbackTotal?: number): void {
  const total = progress.total ?? fallbackTotal ?? progress.bytes
  bar.hidden = false
  bar.max = Math.max(total, 1)
  bar.value = progress.bytes
  bar.dataset.bytes = String(progress.bytes)
  bar.dataset.updates = String(Number(bar.dataset.updates ?? 0) + 1)
  bar.title = `${Math.round(progress.bytes / 1024)} of ${Math.round(total / 1024)} KiB`
}
