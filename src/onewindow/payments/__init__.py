"""Payments: payment requests, bank payments, deferred accounts, the revenue ledger, receipts."""
