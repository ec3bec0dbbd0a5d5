"""load_data_config: every unusable data.yaml is a DataConfigError naming the file and the key."""

import pytest

from yolov12.data.config import DataConfigError, load_data_config


@pytest.mark.parametrize("yaml_text, match", [
    ("path: .\ntrain: .\nnc: abc\n", "'nc' must be a positive integer \\(the number of classes, at most 25000\\)"),
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


@pytest.mark.parametrize("raw, message", [
    ({"nc": 10**30, "train": "."}, "'nc' must be a positive integer"),  # used to build 10**30 names
    ({"names": {"00": "a", "1": "b"}, "train": "."}, None),
    ({"names": {1.5: "a"}, "train": "."}, "keys must be integer class ids"),
    ({"names": {0: "a", "0": "b"}, "train": "."}, "without gaps or repeats"),
    ({"path": {"a" * 300: 1}, "train": "."}, "path must be a path"),
    ({"path": "a\x00b", "train": "."}, "NUL byte"),
    ({"train": "x" * 5000, "names": ["a"]}, "File name too long"),
])
def test_hostile_values_are_data_config_errors(tmp_path, raw, message):
    import yaml

    from yolov12.data import DataConfigError, load_data_config

    (tmp_path / "data.yaml").write_text(yaml.safe_dump(raw))
    if message is None:
        assert load_data_config(tmp_path / "data.yaml").names == ["a", "b"]
        return
    with pytest.raises(DataConfigError, match=message):
        load_data_config(tmp_path / "data.yaml")
