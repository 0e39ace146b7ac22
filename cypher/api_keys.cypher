// Every stored API key record (JSON), oldest first, with what happened to it since it was saved
// (revoked_at, last_used_at: properties, as revoke_api_key and record_api_key_use set them).
MATCH (key:ApiKey)
RETURN key.doc AS doc, key.revoked_at AS revoked_at, key.last_used_at AS last_used_at
ORDER BY key.created_at, key.key_id
