// Upsert a batch of identity links: (account)-[:USES]->(identifier), keyed by the account and the
// identifier, labels chosen by account_type and identifier_type (the contract's domains).
// Times arrive as epoch microseconds.
// $rows: [{account_type, account_id, identifier_type, identifier,
//          props: {events, ...extra columns}, first_seen: int, last_seen: int|null}]
UNWIND $rows AS row
CALL (row) {
  WITH row WHERE row.account_type = 'creator'
  MERGE (account:Creator {id: row.account_id}) RETURN account
  UNION ALL
  WITH row WHERE row.account_type = 'seller'
  MERGE (account:Seller {id: row.account_id}) RETURN account
  UNION ALL
  WITH row WHERE row.account_type = 'buyer'
  MERGE (account:Buyer {id: row.account_id}) RETURN account
}
CALL (row) {
  WITH row WHERE row.identifier_type = 'device'
  MERGE (identifier:Device {id: row.identifier}) RETURN identifier
  UNION ALL
  WITH row WHERE row.identifier_type = 'ip'
  MERGE (identifier:IP {id: row.identifier}) RETURN identifier
  UNION ALL
  WITH row WHERE row.identifier_type = 'payout_account'
  MERGE (identifier:PayoutAccount {id: row.identifier}) RETURN identifier
  UNION ALL
  WITH row WHERE row.identifier_type = 'phone'
  MERGE (identifier:Phone {id: row.identifier}) RETURN identifier
  UNION ALL
  WITH row WHERE row.identifier_type = 'email'
  MERGE (identifier:Email {id: row.identifier}) RETURN identifier
}
MERGE (account)-[uses:USES]->(identifier)
SET uses = row.props
SET uses.first_seen = datetime({epochMillis: row.first_seen / 1000})
                      + duration({microseconds: row.first_seen % 1000}),
    uses.last_seen = CASE WHEN row.last_seen IS NULL THEN null
                          ELSE datetime({epochMillis: row.last_seen / 1000})
                               + duration({microseconds: row.last_seen % 1000}) END
