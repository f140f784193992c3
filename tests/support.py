"""Helpers shared by the test folders: index sets on the real node, and emptying them."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from elasticsearch import helpers

from yuqing.storage import MAPPINGS, Store, make_client


@contextlib.contextmanager
def open_test_store(es_url: str, tag: str = "t") -> Iterator[Store]:
    """A fresh set of indices under a unique prefix on the real node, deleted afterwards."""
    store = Store(make_client(es_url), prefix=f"{tag}{uuid.uuid4().hex[:10]}")
    store.ensure_indices()
    try:
        yield store
    finally:
        try:
            store.drop_all()
        finally:
            store.client.close()


def empty_store(store: Store) -> Store:
    """Delete every document under the store's prefix (the node has no _delete_by_query)."""
    names = ",".join(store.alias(kind) for kind in MAPPINGS)
    store.client.indices.refresh(index=names)
    actions = [{"_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"]}
               for hit in helpers.scan(store.client, index=names, query={"query": {"match_all": {}}}, _source=False)]
    if actions:
        helpers.bulk(store.client, actions, raise_on_error=False)
    store.client.indices.refresh(index=names)
    return store


@contextlib.contextmanager
def no_scheduled_refresh(store: Store, *kinds: str) -> Iterator[None]:
    """Inside the block, searches of ``kinds`` see nothing newly written (no scheduled refresh; an
    explicit refresh still happens): only a read by id (realtime) sees a write. Restored after."""
    names = ",".join(store.alias(k) for k in kinds)
    before = store.client.indices.get_settings(index=names, name="index.refresh_interval", include_defaults=True)
    store.client.indices.put_settings(index=names, settings={"index": {"refresh_interval": "-1"}})
    try:
        yield
    finally:
        for index, found in before.items():
            settings = {**found.get("defaults", {}), **found.get("settings", {})}
            interval = settings.get("index", {}).get("refresh_interval", "1s")
            store.client.indices.put_settings(index=index, settings={"index": {"refresh_interval": interval}})
