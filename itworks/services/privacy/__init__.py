"""Personal-data operations on a registrant's request (開示・訂正・利用停止・削除),
retention and the leak drill.

* ``scope.in_use`` — the one rule for who may appear in lists, audiences, searches
  and model fits (not merged, not erased, use not stopped);
* ``requests`` — finding the person (public id or email) and recording each request
  with its dates and how it was answered;
* ``disclosure``, ``correction``, ``stop_use``, ``erasure`` — the four requests;
* ``retention`` — the configured retention periods and ``purge``;
* ``leak`` — who and what an account or token could have read in a window.

This package imports nothing at import time, so ``scope`` can be used by every
other service without an import cycle.
"""
