"""The peers table's checks can fail: its agreement check flags a wrong answer, its reading of
EEGKit's CSV puts values where they belong, and its band rule is EEGKit's.

Needs numpy; the scipy tests skip (visibly, in unittest's summary) without scipy; the
end-to-end test also needs EEG set to an `eeg` executable. Run by Swift's PeersCheckTests,
or by hand: `python -m unittest -v test_peers` in this folder.
"""
import os
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import task  # noqa: E402

try:
    import scipy  # noqa: F401
    HAVE_SCIPY = True
except ImportError:
    HAVE_SCIPY = False

SMALL = task.Workload("T", channels=3, rate=250, seconds=20, seed=7)


def some_band_powers(shape=(5, 3, 5), seed=3):
    return np.random.default_rng(seed).uniform(0.1, 50.0, size=shape)


class AgreementTests(unittest.TestCase):
    def test_identical_answers_agree(self):
        reference = some_band_powers()
        result = task.agreement(reference, reference.copy())
        self.assertTrue(result.ok)
        self.assertEqual(result.worst, 0.0)

    def test_one_value_off_by_2e_4_fails_and_says_where(self):
        reference = some_band_powers()
        peer = reference.copy()
        peer[3, 1, 2] *= 1 + 2e-4
        result = task.agreement(reference, peer)
        self.assertFalse(result.ok)
        self.assertAlmostEqual(result.worst, 2e-4, delta=1e-9)
        self.assertEqual(result.where, "epoch 3 (12 s), channel 2, alpha")
        self.assertIn("DISAGREES", result.verdict())

    def test_an_error_below_the_tolerance_passes(self):
        reference = some_band_powers()
        peer = reference * (1 - 5e-5)
        result = task.agreement(reference, peer)
        self.assertTrue(result.ok)
        self.assertAlmostEqual(result.worst, 5e-5, delta=1e-9)

    def test_a_nan_fails(self):
        reference = some_band_powers()
        peer = reference.copy()
        peer[0, 2, 4] = np.nan
        result = task.agreement(reference, peer)
        self.assertFalse(result.ok)
        self.assertIn("non-finite value at epoch 0 (0 s), channel 3, gamma", result.where)

    def test_a_missing_epoch_fails(self):
        reference = some_band_powers()
        self.assertFalse(task.agreement(reference, reference[:-1]).ok)

    def test_a_zero_reference_is_compared_absolutely(self):
        reference = np.zeros((1, 1, 5))
        self.assertFalse(task.agreement(reference, reference + 1e-3).ok)
        self.assertTrue(task.agreement(reference, reference).ok)


def eegkit_csv(rows):
    header = "scope,start_s,channel,delta,theta,alpha,beta,gamma,delta_relative,theta_relative,alpha_relative," \
             "beta_relative,gamma_relative,engagement,theta_beta,relaxation,workload"
    return "\n".join([header] + rows)


def epoch_row(start, channel, values):
    return f"epoch,{start},{channel}," + ",".join(map(str, values)) + ",0.2,0.2,0.2,0.2,0.2,1,1,1,1"


class EEGKitOutputTests(unittest.TestCase):
    WORKLOAD = task.Workload("T", channels=2, rate=250, seconds=8, seed=0)  # two 4 s epochs

    def test_epoch_rows_land_at_their_epoch_channel_and_band(self):
        rows = ["whole,,ch1,9,9,9,9,9,0.2,0.2,0.2,0.2,0.2,1,1,1,1", "whole,,ch2,9,9,9,9,9,0.2,0.2,0.2,0.2,0.2,1,1,1,1",
                epoch_row("0.0", "ch1", [1, 2, 3, 4, 5]), epoch_row("0.0", "ch2", [6, 7, 8, 9, 10]),
                epoch_row("4.0", "ch1", [11, 12, 13, 14, 15]), epoch_row("4.0", "ch2", [16, 17, 18, 19, 20.5])]
        values = task.parse_eegkit_csv(eegkit_csv(rows), self.WORKLOAD)
        self.assertEqual(values.shape, (2, 2, 5))
        self.assertEqual(values[1, 0, 2], 13)
        self.assertEqual(values[1, 1, 4], 20.5)
        self.assertEqual(values[0, 1, 0], 6)

    def test_swapped_channels_are_refused(self):
        rows = [epoch_row("0.0", "ch2", [1] * 5), epoch_row("0.0", "ch1", [1] * 5),
                epoch_row("4.0", "ch1", [1] * 5), epoch_row("4.0", "ch2", [1] * 5)]
        with self.assertRaisesRegex(ValueError, "expected 0 ch1"):
            task.parse_eegkit_csv(eegkit_csv(rows), self.WORKLOAD)

    def test_a_missing_epoch_is_refused(self):
        rows = [epoch_row("0.0", "ch1", [1] * 5), epoch_row("0.0", "ch2", [1] * 5)]
        with self.assertRaisesRegex(ValueError, "2 epoch rows, expected 2 epochs × 2 channels"):
            task.parse_eegkit_csv(eegkit_csv(rows), self.WORKLOAD)


class BandRuleTests(unittest.TestCase):
    def test_bins_are_low_inclusive_high_exclusive_on_the_rfftfreq_grid(self):
        # 250 Hz, 500-sample segments: bin k is k/2 Hz. delta [1,4) is bins 2..7, and so on.
        slices = task.band_slices(250, 500)
        self.assertEqual([(s.start, s.stop) for s in slices], [(2, 8), (8, 16), (16, 26), (26, 60), (60, 90)])

    def test_integration_is_the_bin_sum_times_df(self):
        psd = np.zeros(129)  # 256 Hz, 256-sample segments: bin k is k Hz, df = 1 Hz
        psd[10] = 3.0   # alpha
        psd[8] = 1.0    # alpha's lower edge: alpha, not theta
        psd[13] = 2.0   # alpha's upper edge: beta, not alpha
        psd[45] = 7.0   # gamma's upper edge: no band
        powers = task.integrate(psd, 256, 256)
        self.assertEqual(powers.tolist(), [0.0, 0.0, 4.0, 2.0, 0.0])


@unittest.skipUnless(HAVE_SCIPY, "scipy is not installed: the reference is not checked")
class ReferenceTests(unittest.TestCase):
    def test_a_sine_on_a_bin_has_its_mean_square_in_its_band(self):
        import methods
        w = task.Workload("S", channels=1, rate=250, seconds=8, seed=0)
        t = np.arange(w.frames) / w.rate
        samples = (4.0 * np.sin(2 * np.pi * 10.0 * t) + 100.0).reshape(-1, 1)
        powers = methods.scipy_bandpowers(samples, w)
        np.testing.assert_allclose(powers[:, 0, 2], 8.0, rtol=1e-12)   # A²/2 in alpha
        self.assertLess(np.abs(np.delete(powers[:, 0, :], 2, axis=1)).max(), 1e-20)


@unittest.skipUnless(HAVE_SCIPY and os.environ.get("EEG"), "needs scipy and EEG=<eeg executable>")
class EEGKitEndToEndTests(unittest.TestCase):
    def test_eegkit_agrees_and_a_perturbed_copy_of_its_output_does_not(self):
        import methods
        with tempfile.TemporaryDirectory() as folder:
            data, out = Path(folder) / "t.f32", Path(folder) / "t.csv"
            task.write_signal(data, SMALL)
            methods.run_eegkit(os.environ["EEG"], data, out, SMALL)
            eegkit = task.parse_eegkit_csv(out.read_text(), SMALL)
            reference = methods.scipy_bandpowers(task.load(data, SMALL), SMALL)
        self.assertEqual(eegkit.shape, (5, 3, 5))
        self.assertTrue(task.agreement(reference, eegkit).ok, task.agreement(reference, eegkit).verdict())
        eegkit[4, 0, 3] *= 1 + 3e-4
        result = task.agreement(reference, eegkit)
        self.assertFalse(result.ok)
        self.assertEqual(result.where, "epoch 4 (16 s), channel 1, beta")


if __name__ == "__main__":
    unittest.main()
