// Revoke one API key: set revoked_at (kept if it is already revoked; the record is never
// deleted, so audit entries made with the key still resolve) and move the api_keys revision,
// in one transaction, so a server that sees the new revision also sees the revocation.
// No row when there is no such key (then nothing is written); revoked_now is false when the key
// was revoked before (the caller audits a revocation once).
// $key_id: str, $at: str (ISO time), $revision: str (a fresh random token)
MATCH (key:ApiKey {key_id: $key_id})
WITH key, key.revoked_at IS NULL AS revoked_now
SET key.revoked_at = coalesce(key.revoked_at, $at)
WITH key, revoked_now
MERGE (revision:Sequence {name: 'api_keys'})
SET revision.value = coalesce(revision.value, 0) + 1, revision.token = $revision
RETURN key.doc AS doc, key.revoked_at AS revoked_at, key.last_used_at AS last_used_at,
       revoked_now
