// Upsert one API key record, keyed by key_id: the whole record as JSON in `doc` (it holds the
// key's hash, never the key), role and created_at as properties for investigators.
// $key_id: str, $role: str|null, $created_at: str|null, $doc: str
MERGE (key:ApiKey {key_id: $key_id})
SET key.doc = $doc, key.role = $role, key.created_at = $created_at
