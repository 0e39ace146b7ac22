// write_commissions.cypher for commissions whose key names no node yet
// (ringwatch.graph.neo4j_ingest checked, before the load wrote anything): the commission, its FOR
// and its EARNED are CREATEd; order and creator are still MERGEd.
// Same $rows; run again as write_commissions.cypher if the driver retries it.
UNWIND $rows AS row
CREATE (cm:Commission)
SET cm = row.props
SET cm.created_at = datetime({epochMillis: row.created_at / 1000})
                    + duration({microseconds: row.created_at % 1000})
MERGE (o:Order {id: row.order_id})
CREATE (cm)-[:FOR]->(o)
MERGE (creator:Creator {id: row.creator_id})
CREATE (creator)-[:EARNED]->(cm)
