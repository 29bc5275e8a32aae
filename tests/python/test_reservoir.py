"""Reservoirs on NumPy inputs, fitted and run as ReservoirPy's nodes are."""

import numpy as np
import pytest

import lightloop


def sine_task(steps=3000):
    t = np.arange(steps + 1)
    u = 0.5 + 0.4 * np.sin(2 * np.pi * t / 37.0) * np.cos(2 * np.pi * t / 91.0)
    return u[:-1, None], u[1:, None]


def nrmse(y, yhat):
    return float(np.sqrt(np.mean((y - yhat) ** 2)) / np.std(y))


def test_an_esn_learns_one_step_prediction():
    x, y = sine_task()
    esn = lightloop.Reservoir("esn", nodes=200, seed=2)
    esn.fit(x[:2000], y[:2000], ridge=1e-6, warmup=100)
    yhat = esn.predict(x[2000:])
    assert yhat.shape == (1000, 1)
    err = nrmse(y[2000:], yhat)
    assert err < 0.05, err
    # Against the baseline of predicting no change:
    assert err < nrmse(y[2000:], x[2000:])


def test_run_returns_the_states_and_the_seed_fixes_them():
    x, _ = sine_task(500)
    a = lightloop.Reservoir("delay-mg", nodes=50, seed=4)
    b = lightloop.Reservoir("delay-mg", nodes=50, seed=4)
    sa, sb = a.run(x), b.run(x)
    assert sa.shape == (500, 50)
    assert np.array_equal(sa, sb)
    assert np.isfinite(sa).all()
    a.reset()
    assert np.array_equal(a.run(x), sa)


def test_inputs_outside_the_unit_interval_are_refused():
    esn = lightloop.Reservoir("esn", nodes=10)
    with pytest.raises(lightloop.InputError) as e:
        esn.run(np.array([[2.0], [0.5]]))
    assert e.value.problems[0].key == "x"


def test_unknown_kind_and_predict_before_fit_are_errors():
    with pytest.raises(lightloop.InputError):
        lightloop.Reservoir("nosuch")
    with pytest.raises(lightloop.InputError):
        lightloop.Reservoir("esn", nodes=10).predict(np.zeros((3, 1)))
