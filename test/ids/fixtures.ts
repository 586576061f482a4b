/** Literal CIDs shared by the ids tests. */
import { CID } from 'multiformats/cid'

/** A dag-cbor (0x71) sha2-256 CID; also the event CID in rust-ceramic's EventId tests. */
export const DAG_CBOR_CID = CID.parse('bafyreihu557meceujusxajkaro3epfe6nnzjgbjaxsapgtml7ox5ezb5qy')
/** A dag-jose (0x85) CID, as a signed genesis has; rust-ceramic's init CID in its EventId tests. */
export const DAG_JOSE_CID = CID.parse('bagcqceraplay4erv6l32qrki522uhiz7rf46xccwniw7ypmvs3cvu2b3oulq')
/** The dag-jose genesis of the IDX schema Tile behind `k3y52l7qbv1fryjn62…`. */
export const IDX_GENESIS_CID = CID.parse('bagcqcera24vwhuuiwn7j74sigmpuirv4iimpiq7maiekq7nmgaeo4waknouq')
/** dag-cbor sha2-512: a longer multihash, to catch fixed-length assumptions. */
export const SHA512_CID = CID.parse('bafyrgqfoltdvbrvkajd2hlsa66uialed4nobympb35lq4qkzmxjdjjk4jz57ya2wm6244iawgoarnz3vyacwczgrdocqtly4dxprwbsvaydbu')
/** A CIDv0 (dag-pb, no version byte). */
export const CID_V0 = CID.parse('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG')

/** js-ceramic's `Model.MODEL`: the StreamID that is the `model` of every Model stream. */
export const MODEL_MODEL = 'kh4q0ozorrgaq2mezktnrmdwleo1d'
/** An IDX schema ref (a CommitID of a Tile pointing at its genesis). */
export const IDX_SCHEMA_COMMIT_ID = 'k3y52l7qbv1fryjn62sggjh1lpn11c56qfofzmty190d62hwk1cal1c7qc5he54ow'

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'))
