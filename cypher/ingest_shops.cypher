// write_shops.cypher for shops whose key names no node yet (ringwatch.graph.neo4j_ingest checked,
// before the load wrote anything): CREATE instead of MERGE, and no stale seller to drop.
// Same $rows; run again as write_shops.cypher if the driver retries it.
UNWIND $rows AS row
CREATE (s:Shop)
SET s = row.props
SET s.registered_at = datetime({epochMillis: row.registered_at / 1000})
                      + duration({microseconds: row.registered_at % 1000})
MERGE (seller:Seller {id: row.seller_id})
CREATE (seller)-[:OWNS]->(s)
