// write_affiliations.cypher for affiliations whose creator named no node before the load began
// (ringwatch.graph.neo4j_ingest checked): such a creator promotes nothing yet, so PROMOTES is
// CREATEd. Same $rows; run again as write_affiliations.cypher if the driver retries it.
UNWIND $rows AS row
MERGE (creator:Creator {id: row.creator_id})
MERGE (shop:Shop {id: row.shop_id})
CREATE (creator)-[promotes:PROMOTES]->(shop)
SET promotes = row.props
SET promotes.started_at = datetime({epochMillis: row.started_at / 1000})
                          + duration({microseconds: row.started_at % 1000})
