// Record that a key was used at $at, unless a later use is already recorded (writes from several
// servers may arrive out of order). Leaves the api_keys revision alone: a use changes no key's
// validity. Nothing happens for an unknown key.
// $key_id: str, $at: str (ISO time)
MATCH (key:ApiKey {key_id: $key_id})
WHERE key.last_used_at IS NULL OR key.last_used_at < $at
SET key.last_used_at = $at
