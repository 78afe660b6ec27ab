"""Writes the two tiny .mmdb files used by the enrich tests.

Run once (needs `pip install mmdb-writer netaddr`); the outputs are
committed so the tests need no Python. Networks are real public blocks so
that `classify` lets them through; the values are test fixtures, not
claims about who owns the blocks.
"""
import sys
from netaddr import IPSet
from mmdb_writer import MMDBWriter, MmdbU32

out = sys.argv[1] if len(sys.argv) > 1 else "."

country = MMDBWriter(ip_version=6, ipv4_compatible=True,
                     database_type="GeoLite2-Country", languages=["en"],
                     description="postsleuth test country database")
country.insert_network(IPSet(["89.160.20.0/24"]), {
    "country": {"iso_code": "SE", "names": {"en": "Sweden"}},
    "registered_country": {"iso_code": "SE"}})
country.insert_network(IPSet(["2001:470::/32"]), {
    "country": {"iso_code": "us"}})
# Only the registration country is known: the reader must fall back to it.
country.insert_network(IPSet(["1.2.3.0/24"]), {
    "registered_country": {"iso_code": "AU"}})
country.to_db_file(f"{out}/test-country.mmdb")

asn = MMDBWriter(ip_version=6, ipv4_compatible=True,
                 database_type="GeoLite2-ASN", languages=["en"],
                 description="postsleuth test ASN database")
asn.insert_network(IPSet(["89.160.20.0/24"]), {
    "autonomous_system_number": MmdbU32(29518),
    "autonomous_system_organization": "Bredband2 AB"})
asn.insert_network(IPSet(["2001:470::/32"]), {
    "autonomous_system_number": MmdbU32(6939),
    "autonomous_system_organization": "Hurricane Electric LLC"})
asn.to_db_file(f"{out}/test-asn.mmdb")
