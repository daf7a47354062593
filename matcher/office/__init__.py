"""What an office does with matches: the outcome ledger and brokerage agendas."""
