"""Settings, read from the environment in one place."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

NCBI_EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"

TOPIC_QUERY = (
    '("tumoral calcinosis"[tiab] OR "tumoural calcinosis"[tiab] OR "pseudotumoral calcinosis"[tiab]'
    ' OR "calcifying pseudotumor"[tiab] OR "calcifying pseudotumour"[tiab]'
    ' OR "calcinosis circumscripta"[tiab] OR calcinosis[mh] OR "calcium pyrophosphate"[tiab]'
    ' OR "hydroxyapatite deposition"[tiab] OR "calcified mass"[tiab])'
    " AND (spine[tiab] OR spinal[tiab] OR vertebra*[tiab] OR cervical[tiab] OR thoracic[tiab]"
    " OR lumbar[tiab] OR sacral[tiab] OR epidural[tiab] OR extradural[tiab] OR odontoid[tiab]"
    " OR spine[mh] OR spinal diseases[mh])"
)


class CuratorToken(BaseModel):
    """A curator the server lets write verdicts, and the bearer token that names them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    orcid: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$")
    token: SecretStr = Field(min_length=16, description="At least 16 characters.")


class Settings(BaseSettings):
    """Where the knowledge base lives, how it reaches NCBI, and how it serves."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore", frozen=True)

    home: Path = Field(Path(".kb"), description="Data directory (KB_HOME).")
    store: str | None = Field(
        None,
        description=(
            "KB_STORE: empty for the embedded Oxigraph store under KB_HOME, 'memory' for an "
            "in-memory store, or a SPARQL 1.1 endpoint URL (http://host:port/sparql)."
        ),
    )
    store_update_url: str | None = Field(
        None, description="Remote SPARQL Update URL, if not KB_STORE."
    )
    store_graph_url: str | None = Field(None, description="Remote Graph Store Protocol URL.")
    store_user: str | None = Field(None, description="Remote store user (KB_STORE_USER).")
    store_password: SecretStr | None = Field(None, description="Remote store password.")
    store_auth: Literal["basic", "digest"] = Field(
        "basic", description="HTTP authentication of the remote store (Virtuoso's is digest)."
    )
    store_timeout: float = Field(120.0, description="Seconds a remote store request may take.")

    eutils_url: str = Field(NCBI_EUTILS, description="E-utilities base URL (KB_EUTILS_URL).")
    ncbi_email: str | None = Field(
        None, validation_alias=AliasChoices("NCBI_EMAIL", "KB_NCBI_EMAIL")
    )
    ncbi_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("NCBI_API_KEY", "KB_NCBI_API_KEY")
    )
    ncbi_tool: str = "tc-spine-kb"
    topic_query: str = Field(
        TOPIC_QUERY, description="The PubMed query of the topic (KB_TOPIC_QUERY)."
    )
    http_timeout: float = Field(30.0, description="Seconds before an HTTP request times out.")
    http_retries: int = Field(5, description="Retries on 429, 5xx, timeouts and broken reads.")

    input_stall_seconds: float = Field(
        60.0, gt=0, description="Seconds standard input may send nothing before ingest fails it."
    )
    query_timeout: float = Field(
        10.0, description="Seconds a SPARQL query may run (KB_QUERY_TIMEOUT)."
    )
    row_cap: int = Field(10_000, description="Rows a SPARQL answer may carry (KB_ROW_CAP).")
    answer_bytes: int = Field(
        32 * 1_048_576,
        ge=1,
        description="Bytes of text a SPARQL answer may carry, about (KB_ANSWER_BYTES).",
    )
    page_cap: int = Field(500, description="Largest page the API hands out.")
    max_body_bytes: int = Field(
        1_048_576, ge=1, description="Bytes a request body may have (KB_MAX_BODY_BYTES)."
    )
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a client has to send a request's headers."
    )
    body_timeout: float = Field(
        30.0, gt=0, description="Seconds a request body may pause between two of its parts."
    )
    max_form_fields: int = Field(
        100, ge=1, description="Fields a form body may have (KB_MAX_FORM_FIELDS)."
    )
    query_workers: int = Field(
        4, ge=1, description="Queries the server runs at once; more wait (KB_QUERY_WORKERS)."
    )
    access_log: bool = Field(
        False,
        description="Log a line per request (KB_ACCESS_LOG). Off by default: a proxy in front "
        "usually keeps one, and writing it costs about 5% of a short query's answer.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins.")
    admin_token: SecretStr | None = Field(None, description="Bearer token of the admin endpoints.")
    curators: tuple[CuratorToken, ...] = Field(
        (),
        description="Who may curate (KB_CURATORS), as JSON: "
        '[{"name": "...", "orcid": "0000-...", "token": "..."}]; each token names its curator.',
    )
    curator_token: SecretStr | None = Field(
        None, description="The token the CLI's kb curate writes with (KB_CURATOR_TOKEN)."
    )
    refresh_overlap_days: int = Field(
        3, ge=0, description="Days a refresh window reaches back before the last watermark."
    )
    refresh_sweep_days: int = Field(
        7, ge=0, description="Days between refreshes that check every stored PMID for deletion."
    )

    def curator_of(self, token: str) -> CuratorToken | None:
        """The curator a bearer token names, or None (compared in constant time)."""
        given = token.encode("utf-8")
        found = None
        for curator in self.curators:
            if secrets.compare_digest(given, curator.token.get_secret_value().encode("utf-8")):
                found = curator
        return found

    @property
    def records_dir(self) -> Path:
        """The archive of every record written to the store, for ``kb reextract``."""
        return self.home / "records"

    @property
    def cache_dir(self) -> Path:
        """Raw E-utilities responses, keyed by request."""
        return self.home / "cache"

    @property
    def store_location(self) -> str:
        """What ``open_store`` is given: a URL, 'memory', or the on-disk path."""
        return self.store or str(self.home / "store")


def get_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
