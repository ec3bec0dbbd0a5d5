"""load_data_config: every unusable data.yaml is a DataConfigError naming the file and the key."""

import pytest

from yolov12.data.config import DataConfigError, load_data_config


@pytest.mark.parametrize("yaml_text, match", [
    ("path: .\ntrain: .\nnc: abc\n", "'nc' must be a positive integer \\(the number of classes\\), got 'abc'"),
    ("path: .\ntrain: .\nnc: -1\n", "'nc' must be a positive integer .* got -1"),
    ("path: .\ntrain: .\nnc: 2.5\n", "'nc' must be a positive integer .* got 2.5"),
    ("path: .\ntrain: .\nnames: [[a], {b: c}]\n", "each class name must be a string, got \\['a'\\]"),
    ("path: .\ntrain: {a: 1}\nnames: [a]\n", "train must be a path or a list of paths, got \\{'a': 1\\}"),
    ("a: [\n", "d.yaml: not valid YAML at line 2, column 1: expected the node content"),
    ("path: .\ntrain: nowhere\nnames: [a]\n", "nowhere"),
    ("path: missing_root\ntrain: .\nnames: [a]\n", "missing_root"),
    ("path: .\ntrain: .\nnames: {0: a, 2: b}\n", "without gaps"),
    ("path: .\ntrain: .\n", "names"),
    ("path: .\nnames: [a]\n", "neither"),
])
def test_errors_name_the_key(tmp_path, yaml_text, match):
    (tmp_path / "d.yaml").write_text(yaml_text)
    with pytest.raises(DataConfigError, match=match) as e:
        load_data_config(tmp_path / "d.yaml")
    assert "\n" not in str(e.value)  # one line on the command line


def test_folder_instead_of_yaml(tmp_path):
    with pytest.raises(DataConfigError, match="data= must be a data.yaml file, not a folder"):
        load_data_config(tmp_path)


def test_nc_as_text_and_numeric_paths_still_load(tmp_path):
    (tmp_path / "2017").mkdir()
    cfg = load_data_config({"path": str(tmp_path), "train": 2017, "nc": "3"})
    assert cfg.names == ["0", "1", "2"] and cfg.train == [tmp_path / "2017"]
