// The API keys' revision, read by a running server on every request: one lookup of the unique
// Sequence node that save_api_key and revoke_api_key move. Nulls before any key was saved.
// The random token tells a revision apart from an equal count after the store was cleared.
OPTIONAL MATCH (revision:Sequence {name: 'api_keys'})
RETURN revision.value AS value, revision.token AS token
