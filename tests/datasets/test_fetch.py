import hashlib
import re
import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import numpy as np
import pytest

from fairsynth.datasets import _fetch, fetch_compas, fetch_german_credit
from fairsynth.datasets._fetch import RemoteFile, get_data_home

# Two columns repeat in ProPublica's header, as here (pandas renames the second).
COMPAS_CSV = b"""\
id,sex,age,age_cat,race,juv_fel_count,decile_score,juv_misd_count,juv_other_count,\
priors_count,days_b_screening_arrest,c_charge_degree,is_recid,score_text,\
decile_score,priors_count,two_year_recid
1,Male,69,Greater than 45,Other,0,1,0,0,0,-1,F,0,Low,1,0,0
2,Male,34,25 - 45,African-American,0,3,0,0,0,-1,F,1,Low,3,0,1
3,Female,24,Less than 25,Caucasian,1,8,2,1,4,0,M,1,High,8,4,1
4,Male,23,Less than 25,African-American,0,4,1,0,1,,F,0,Low,4,1,0
5,Male,43,25 - 45,Hispanic,0,5,0,0,2,45,F,1,Medium,5,2,1
6,Female,41,25 - 45,Caucasian,0,1,0,0,0,0,M,-1,Low,1,0,0
7,Male,39,25 - 45,Caucasian,0,2,0,0,1,-2,O,0,Low,2,1,0
8,Male,27,25 - 45,Asian,0,6,0,0,3,1,M,1,N/A,6,3,1
9,Female,51,Greater than 45,Native American,0,7,0,0,3,30,M,0,Medium,7,3,0
"""

GERMAN_DATA = b"""\
A11 6 A34 A43 1169 A65 A75 4 A93 A101 4 A121 67 A143 A152 2 A173 1 A192 A201 1
A12 48 A32 A43 5951 A61 A73 2 A92 A101 2 A121 22 A143 A152 1 A173 1 A191 A201 2
A14 12 A34 A46 2096 A61 A74 2 A93 A101 3 A121 49 A143 A152 1 A172 2 A191 A201 1
A11 42 A32 A42 7882 A61 A74 2 A93 A103 4 A122 45 A143 A153 1 A173 2 A191 A201 1
A13 24 A33 A410 4870 A64 A71 3 A95 A102 4 A124 25 A141 A151 2 A174 2 A191 A202 2
"""


def sha256(content):
    return hashlib.sha256(content).hexdigest()


def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 that records the paths it is asked for."""
    # A proxy set in the environment must not see requests to the local server.
    for name in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]:
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "www"
    root.mkdir()
    requests = []

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=root))
    # A short poll interval makes shutdown quick.
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()

    def stop():
        httpd.shutdown()
        httpd.server_close()

    yield SimpleNamespace(
        root=root,
        url=f"http://127.0.0.1:{httpd.server_port}",
        requests=requests,
        stop=stop,
    )
    stop()
    thread.join()


def publish(server, monkeypatch, name, filename, content, digest=None):
    """Serve ``content`` and point the loader's record ``name`` at it."""
    (server.root / filename).write_bytes(content)
    remote = RemoteFile(f"{server.url}/{filename}", filename, digest or sha256(content))
    monkeypatch.setitem(_fetch.REMOTE_FILES, name, remote)
    return remote


@pytest.fixture
def cache(tmp_path):
    """The cache folder, apart from the folder the server serves."""
    return tmp_path / "cache"


def files_in(folder):
    return sorted(path.name for path in folder.iterdir())


def test_data_home_prefers_argument_then_environment_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FAIRSYNTH_DATA", raising=False)
    assert get_data_home() == tmp_path / "home" / "fairsynth_data"
    monkeypatch.setenv("FAIRSYNTH_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env"
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert (tmp_path / "arg").is_dir()


def test_remote_records_point_at_the_original_sources():
    compas, german = _fetch.REMOTE_FILES["compas"], _fetch.REMOTE_FILES["german_credit"]
    assert compas.url == (
        "https://raw.githubusercontent.com/propublica/compas-analysis/master/"
        "compas-scores-two-years.csv"
    )
    assert german.url == (
        "https://archive.ics.uci.edu/ml/machine-learning-databases/statlog/german/"
        "german.data"
    )
    for remote in (compas, german):
        assert re.fullmatch("[0-9a-f]{64}", remote.sha256)


@pytest.mark.network
def test_compas_is_downloaded_once_then_read_from_the_cache(server, monkeypatch, cache):
    publish(server, monkeypatch, "compas", "compas-scores-two-years.csv", COMPAS_CSV)
    first = fetch_compas(data_home=cache)
    assert server.requests == ["/compas-scores-two-years.csv"]
    assert files_in(cache) == ["compas-scores-two-years.csv"]
    server.stop()
    second = fetch_compas(data_home=cache)
    assert second.frame.equals(first.frame)


@pytest.mark.network
def test_compas_rows_columns_and_dtypes(server, monkeypatch, cache):
    publish(server, monkeypatch, "compas", "compas-scores-two-years.csv", COMPAS_CSV)
    bunch = fetch_compas(data_home=cache)
    # Rows 4 to 8 fail one of ProPublica's filters each.
    assert bunch.data["age"].tolist() == [69, 34, 24, 51]
    assert bunch.target.tolist() == [0, 1, 1, 0]
    assert bunch.feature_names == list(bunch.data.columns)
    assert bunch.feature_names == [
        "sex",
        "age",
        "age_cat",
        "race",
        "juv_fel_count",
        "juv_misd_count",
        "juv_other_count",
        "priors_count",
        "c_charge_degree",
        "decile_score",
        "score_text",
    ]
    assert bunch.target_names == ["two_year_recid"]
    assert bunch.sensitive == ["race", "sex", "age_cat"]
    assert bunch.data["decile_score"].tolist() == [1, 3, 8, 7]
    assert len(bunch.data["race"].cat.categories) == 6
    assert list(bunch.data["score_text"].cat.categories) == ["Low", "Medium", "High"]
    assert bunch.data["c_charge_degree"].tolist() == ["F", "F", "M", "M"]
    assert bunch.target.dtype == np.int64
    assert bunch.data["priors_count"].dtype == np.int64
    assert "propublica" in bunch.DESCR.lower()
    assert "Licence" in bunch.DESCR


@pytest.mark.network
def test_german_credit_is_decoded(server, monkeypatch, cache):
    publish(server, monkeypatch, "german_credit", "german.data", GERMAN_DATA)
    bunch = fetch_german_credit(data_home=cache)
    X, y = bunch.data, bunch.target
    assert X.shape == (5, 22)
    assert list(X.columns[:3]) == [
        "checking_status",
        "duration_months",
        "credit_history",
    ]
    assert list(X.columns[-2:]) == ["sex", "age_group"]
    assert X["checking_status"].tolist()[:2] == ["< 0 DM", "0 to < 200 DM"]
    assert X["purpose"].iloc[4] == "others"
    assert list(X["foreign_worker"].cat.categories) == ["yes", "no"]
    assert X["sex"].tolist() == ["male", "female", "male", "male", "female"]
    assert X["age_group"].tolist()[3:] == ["over 25", "25 or younger"]
    assert y.tolist() == [1, 0, 1, 1, 0]
    assert y.name == "good_credit"
    assert X["credit_amount"].dtype == np.int64
    assert sum(X[c].dtype == "category" for c in X) == 15
    assert not X.isna().any().any()
    assert bunch.sensitive == ["sex", "age_group"]
    assert "CC BY 4.0" in bunch.DESCR


@pytest.mark.network
def test_return_x_y_and_numpy_output(server, monkeypatch, cache):
    publish(server, monkeypatch, "german_credit", "german.data", GERMAN_DATA)
    X, y = fetch_german_credit(data_home=cache, return_X_y=True)
    X_np, y_np = fetch_german_credit(data_home=cache, return_X_y=True, as_frame=False)
    assert X_np.dtype == object
    assert X_np.shape == X.shape
    np.testing.assert_array_equal(y_np, y.to_numpy())
    bunch = fetch_german_credit(data_home=cache, as_frame=False)
    assert bunch.frame is None
    assert isinstance(bunch.data, np.ndarray)


@pytest.mark.network
def test_checksum_mismatch_raises_and_caches_nothing(server, monkeypatch, cache):
    publish(server, monkeypatch, "compas", "c.csv", COMPAS_CSV, digest="0" * 64)
    with pytest.raises(OSError, match="SHA-256") as error:
        fetch_compas(data_home=cache)
    assert sha256(COMPAS_CSV) in str(error.value)
    assert "nothing was cached" in str(error.value)
    assert files_in(cache) == []


@pytest.mark.network
def test_environment_variable_names_the_cache(server, monkeypatch, cache):
    publish(server, monkeypatch, "german_credit", "german.data", GERMAN_DATA)
    monkeypatch.setenv("FAIRSYNTH_DATA", str(cache / "from-env"))
    fetch_german_credit()
    assert files_in(cache / "from-env") == ["german.data"]


@pytest.mark.network
def test_http_error_names_the_url(server, monkeypatch, cache):
    remote = RemoteFile(f"{server.url}/missing.data", "german.data", "0" * 64)
    monkeypatch.setitem(_fetch.REMOTE_FILES, "german_credit", remote)
    with pytest.raises(OSError, match="404") as error:
        fetch_german_credit(data_home=cache)
    assert remote.url in str(error.value)
    assert files_in(cache) == []


@pytest.mark.network
def test_offline_error_says_where_to_put_the_file(monkeypatch, tmp_path):
    url = f"http://127.0.0.1:{unused_port()}/german.data"
    monkeypatch.setitem(
        _fetch.REMOTE_FILES, "german_credit", RemoteFile(url, "german.data", "0" * 64)
    )
    with pytest.raises(OSError, match="Could not download") as error:
        fetch_german_credit(data_home=tmp_path)
    message = str(error.value)
    assert url in message
    assert str(tmp_path / "german.data") in message
    assert files_in(tmp_path) == []


def test_a_file_put_in_the_cache_by_hand_is_used_offline(monkeypatch, tmp_path):
    url = f"http://127.0.0.1:{unused_port()}/german.data"
    remote = RemoteFile(url, "german.data", sha256(GERMAN_DATA))
    monkeypatch.setitem(_fetch.REMOTE_FILES, "german_credit", remote)
    (tmp_path / "german.data").write_bytes(GERMAN_DATA)
    X, _ = fetch_german_credit(data_home=tmp_path, return_X_y=True)
    assert X.shape == (5, 22)


def test_a_corrupt_cached_file_is_reported(monkeypatch, tmp_path):
    remote = RemoteFile("http://127.0.0.1:9/c.csv", "c.csv", sha256(COMPAS_CSV))
    monkeypatch.setitem(_fetch.REMOTE_FILES, "compas", remote)
    (tmp_path / "c.csv").write_bytes(COMPAS_CSV[:-10])
    with pytest.raises(OSError, match="The cached file .* has SHA-256"):
        fetch_compas(data_home=tmp_path)


def test_no_download_and_no_cache_raises(monkeypatch, tmp_path):
    remote = RemoteFile("http://127.0.0.1:9/c.csv", "c.csv", sha256(COMPAS_CSV))
    monkeypatch.setitem(_fetch.REMOTE_FILES, "compas", remote)
    with pytest.raises(FileNotFoundError, match="download_if_missing is False") as err:
        fetch_compas(data_home=tmp_path, download_if_missing=False)
    assert str(tmp_path / "c.csv") in str(err.value)
