// Upsert one API key record, keyed by key_id: the whole record as JSON in `doc` (it holds the
// key's hash, never the key), role and created_at as properties for investigators. A save never
// undoes what happened to the key: revoked_at keeps its first value, last_used_at the later one.
// The api_keys revision moves (unique Sequence node, so MERGE never makes two), so that a
// running server re-reads its keys at its next request.
// $key_id: str, $role: str|null, $created_at: str|null, $doc: str, $revoked_at: str|null,
// $last_used_at: str|null, $revision: str (a fresh random token)
MERGE (key:ApiKey {key_id: $key_id})
SET key.doc = $doc, key.role = $role, key.created_at = $created_at,
    key.revoked_at = coalesce(key.revoked_at, $revoked_at),
    key.last_used_at = CASE WHEN key.last_used_at IS NULL OR key.last_used_at < $last_used_at
                            THEN $last_used_at ELSE key.last_used_at END
WITH key
MERGE (revision:Sequence {name: 'api_keys'})
SET revision.value = coalesce(revision.value, 0) + 1, revision.token = $revision
