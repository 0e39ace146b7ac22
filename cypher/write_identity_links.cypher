// Upsert a batch of identity links: (account)-[:USES]->(identifier), keyed by the account and the
// identifier, labels chosen by account_type and identifier_type (the contract's domains: one branch per
// type of the domain's type table, repeated by ringwatch.cypher.load).
// Times arrive as epoch microseconds.
// $rows: [{account_type, account_id, identifier_type, identifier,
//          props: {events, ...extra columns}, first_seen: int, last_seen: int|null}]
UNWIND $rows AS row
CALL (row) {
  // for each linked account type, joined by UNION ALL:
  WITH row WHERE row.account_type = '{type}'
  MERGE (account:{label} {id: row.account_id}) RETURN account
  // end for
}
CALL (row) {
  // for each identifier type, joined by UNION ALL:
  WITH row WHERE row.identifier_type = '{type}'
  MERGE (identifier:{label} {id: row.identifier}) RETURN identifier
  // end for
}
MERGE (account)-[uses:USES]->(identifier)
SET uses = row.props
SET uses.first_seen = datetime({epochMillis: row.first_seen / 1000})
                      + duration({microseconds: row.first_seen % 1000}),
    uses.last_seen = CASE WHEN row.last_seen IS NULL THEN null
                          ELSE datetime({epochMillis: row.last_seen / 1000})
                               + duration({microseconds: row.last_seen % 1000}) END
