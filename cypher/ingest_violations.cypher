// write_violations.cypher for violations whose key names no node yet
// (ringwatch.graph.neo4j_ingest checked, before the load wrote anything): CREATE instead of MERGE.
// Same $rows; run again as write_violations.cypher if the driver retries it.
UNWIND $rows AS row
CREATE (v:Violation)
SET v = row.props
SET v.occurred_at = datetime({epochMillis: row.occurred_at / 1000})
                    + duration({microseconds: row.occurred_at % 1000})
MERGE (creator:Creator {id: row.creator_id})
CREATE (creator)-[:COMMITTED]->(v)
