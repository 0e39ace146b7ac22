// Whether the database holds no node at all (not even an API key or an audit entry): the one
// state in which `ringwatch load --bulk` may let the offline importer write a new store over it.
RETURN NOT EXISTS { MATCH (n) } AS empty
