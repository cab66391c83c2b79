import subprocess
import sys


def test_importing_datasets_does_not_import_torch():
    code = (
        "import sys, fairsynth.datasets; "
        "sys.exit('torch' in sys.modules or 'skorch' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
