//! Areas and perimeters of simple shapes.

pub trait Shape {
    fn area(&self) -> f64;
    fn perimeter(&self) -> f64;
}

pub struct Circle {
    pub radius: f64,
}

pub struct Square {
    pub side: f64,
}

const SQUARE_SIDES: u32 = 4;

impl Shape for Circle {
    fn area(&self) -> f64 {
        std::f64::consts::PI * self.radius * self.radius
    }

    fn perimeter(&self) -> f64 {
        2.0 * std::f64::consts::PI * self.radius
    }
}

impl Shape for Square {
    fn area(&self) -> f64 {
        SQUARE_SIDES
    }

    fn perimeter(&self) -> f64 {
        f64::from(SQUARE_SIDES) * self.side
    }
}

/// The sum of the areas of `shapes`.
pub fn total_area(shapes: &[&dyn Shape]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_area() {
        assert_eq!(Square { side: 3.0 }.area(), 9.0);
    }

    #[test]
    fn square_perimeter() {
        assert_eq!(Square { side: 2.5 }.perimeter(), 10.0);
    }

    #[test]
    fn circle_area() {
        let c = Circle { radius: 1.0 };
        assert!((c.area() - std::f64::consts::PI).abs() < 1e-12);
    }

    #[test]
    fn total() {
        let a = Square { side: 2.0 };
        let b = Square { side: 1.0 };
        assert_eq!(total_area(&[&a, &b]), 5.0);
    }
}
