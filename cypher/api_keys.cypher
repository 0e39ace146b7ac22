// Every stored API key record (JSON), oldest first.
MATCH (key:ApiKey)
RETURN key.doc AS doc
ORDER BY key.created_at, key.key_id
