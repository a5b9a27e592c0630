"""What the cancel registry and the limit store share: on AWS a DynamoDB table each (its layout in
``tables``, its client in ``dynamodb``), locally one SQLite file each (``sqlite``).

The SQLite stores ship in the Lambda asset although Lambda never uses them: ``serve`` runs the
very same function package, and ``Settings`` picks the store, so one package serves both places;
``sqlite3`` is in the standard library, so they add a few kilobytes of source and no dependency.
"""
