"""Non-payer protection: the ledger of cases, linking identities, the status verdict, the
service that ties them to a store, and its HTTP routes."""
