//! The small dense linear algebra the forecast needs: systems of a handful of unknowns (the
//! price and promotion weights and a season's profile), so plain Gaussian elimination.

/// Solves `matrix · x = right` by Gaussian elimination with partial pivoting; `None` when
/// the matrix is singular or the result is not finite.
pub(super) fn solve(mut matrix: Vec<Vec<f64>>, mut right: Vec<f64>) -> Option<Vec<f64>> {
    let n = right.len();
    debug_assert!(matrix.len() == n && matrix.iter().all(|row| row.len() == n));
    for column in 0..n {
        let pivot = (column..n).max_by(|a, b| {
            matrix[*a][column]
                .abs()
                .total_cmp(&matrix[*b][column].abs())
        })?;
        if matrix[pivot][column].abs() < 1e-12 {
            return None;
        }
        matrix.swap(column, pivot);
        right.swap(column, pivot);
        for row in column + 1..n {
            let factor = matrix[row][column] / matrix[column][column];
            if factor == 0.0 {
                continue;
            }
            let pivot_row = matrix[column].clone();
            for (value, pivot_value) in matrix[row].iter_mut().zip(&pivot_row).skip(column) {
                *value -= factor * pivot_value;
            }
            right[row] -= factor * right[column];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| matrix[row][k] * x[k]).sum();
        x[row] = (right[row] - tail) / matrix[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The inverse of `matrix` (symmetric, as every matrix here is), one solve per unit
/// vector; `None` when it is singular.
pub(super) fn inverse(matrix: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    (0..n)
        .map(|j| {
            let mut unit = vec![0.0; n];
            unit[j] = 1.0;
            solve(matrix.clone(), unit)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_system_that_needs_a_pivot() {
        // 0·x + 2·y = 4 and 3·x + 1·y = 5: x = 1, y = 2.
        let x = solve(vec![vec![0.0, 2.0], vec![3.0, 1.0]], vec![4.0, 5.0]).expect("regular");
        assert!(
            (x[0] - 1.0).abs() < 1e-12 && (x[1] - 2.0).abs() < 1e-12,
            "{x:?}"
        );
    }

    #[test]
    fn refuses_a_singular_system() {
        assert_eq!(
            solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]),
            None
        );
    }

    #[test]
    fn inverts_a_symmetric_matrix() {
        // The inverse of [[2, 1], [1, 2]] is [[2, -1], [-1, 2]] / 3.
        let inverse = inverse(vec![vec![2.0, 1.0], vec![1.0, 2.0]]).expect("regular");
        let expected = [[2.0 / 3.0, -1.0 / 3.0], [-1.0 / 3.0, 2.0 / 3.0]];
        for (row, expected) in inverse.iter().zip(expected) {
            for (value, expected) in row.iter().zip(expected) {
                assert!((value - expected).abs() < 1e-12, "{inverse:?}");
            }
        }
    }
}
