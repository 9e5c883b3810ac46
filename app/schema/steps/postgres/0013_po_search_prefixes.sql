-- Expand: the PO search (projections/po_search.py) indexes every word's
-- prefixes of 1 to 10 characters as well as the word, through
-- `procura_po_search_prefixes`, in a second GIN index. A query term of at
-- most 10 characters is then one exact entry, and GIN answers `ac & 10003`
-- by stepping through the rarer entry's POs instead of gathering every PO
-- with a word starting `ac` (every PO with a supplier reference, in one org
-- with 100,000 of them). Longer terms stay prefix matches, specific enough
-- to be cheap. The previous release keeps querying its own index
-- (`rm_po_search__words`), which stays until a contract step drops it.

CREATE OR REPLACE FUNCTION procura_po_search_prefixes(document TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT left(word, n) FROM unnest(string_to_array(document, ' ')) AS word,
            generate_series(1, least(length(word), 10)) AS n
        WHERE word <> ''
        UNION
        SELECT word FROM unnest(string_to_array(document, ' ')) AS word WHERE word <> ''))
$$;
CREATE INDEX IF NOT EXISTS rm_po_search__prefixes ON rm_po_search USING GIN (procura_po_search_prefixes(document));
