//! The 3D view's orbit camera in patient LPS millimetres, and the per-frame ray setup that the GPU
//! ray caster and its CPU reference share. Projection is orthographic (parallel rays): distances
//! stay measurable and the views match the radiological 2D conventions.

use nalgebra::{Matrix3, Matrix4, Point3, Rotation3, Unit, Vector2, Vector3};

use super::geometry::Geometry;

/// Standard views. Screen up is superior for the side views; the superior view has anterior up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardView {
    /// From the front (−Y looking to +Y): patient right on screen left, as radiologists expect.
    Anterior,
    Posterior,
    /// From the patient's left: anterior on screen left (as the sagittal slice).
    Left,
    Right,
    /// From above, anterior (the nose) up.
    Superior,
    Inferior,
}

impl StandardView {
    /// (screen right, screen up) in LPS. The view direction is `up × right`.
    fn axes(self) -> (Vector3<f64>, Vector3<f64>) {
        let (x, y, z) = (Vector3::x(), Vector3::y(), Vector3::z());
        match self {
            StandardView::Anterior => (x, z),
            StandardView::Posterior => (-x, z),
            StandardView::Left => (y, z),
            StandardView::Right => (-y, z),
            StandardView::Superior => (-x, -y),
            StandardView::Inferior => (x, -y),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrbitCamera {
    /// The point the camera orbits, normally the volume centre.
    pub target: Point3<f64>,
    /// Camera → patient: columns are screen right, screen up and "back" (towards the viewer).
    pub orient: Rotation3<f64>,
    /// Magnification relative to the fit zoom (1 = the whole volume fits).
    pub zoom: f64,
    /// Offset of the screen centre from the target, mm along (screen right, screen down).
    pub pan: Vector2<f64>,
}

impl OrbitCamera {
    pub fn new(target: Point3<f64>, view: StandardView) -> OrbitCamera {
        let mut c = OrbitCamera { target, orient: Rotation3::identity(), zoom: 1.0, pan: Vector2::zeros() };
        c.set_view(view);
        c
    }

    /// Anterior view of the whole grid.
    pub fn fit(g: &Geometry) -> OrbitCamera {
        OrbitCamera::new(g.center(), StandardView::Anterior)
    }

    /// Turns to a standard view; keeps target, zoom and pan.
    pub fn set_view(&mut self, view: StandardView) {
        let (r, u) = view.axes();
        self.orient = Rotation3::from_matrix_unchecked(Matrix3::from_columns(&[r, u, r.cross(&u)]));
    }

    pub fn right(&self) -> Vector3<f64> {
        self.orient * Vector3::x()
    }

    pub fn up(&self) -> Vector3<f64> {
        self.orient * Vector3::y()
    }

    /// Direction the rays travel (into the screen).
    pub fn forward(&self) -> Vector3<f64> {
        -(self.orient * Vector3::z())
    }

    /// Left-drag by (dx, dy) screen pixels: the object follows the mouse (turntable about screen up,
    /// tilt about screen right), `radians_per_pixel` each.
    pub fn rotate(&mut self, dx: f64, dy: f64, radians_per_pixel: f64) {
        let about_up = Rotation3::from_axis_angle(&Unit::new_normalize(self.up()), -dx * radians_per_pixel);
        let about_right = Rotation3::from_axis_angle(&Unit::new_normalize(self.right()), -dy * radians_per_pixel);
        // Re-orthonormalise so that many small drags cannot drift into a shear.
        self.orient = Rotation3::from_matrix(&(about_up * about_right * self.orient).into_inner());
    }

    /// Middle/shift-drag by (dx, dy) pixels at `px_per_mm`: the object follows the mouse.
    pub fn pan_by(&mut self, dx: f64, dy: f64, px_per_mm: f64) {
        self.pan -= Vector2::new(dx, dy) / px_per_mm.max(1e-9);
    }

    pub fn zoom_by(&mut self, factor: f64) {
        self.zoom = (self.zoom * factor).clamp(0.05, 50.0);
    }

    /// Screen pixels per mm for a viewport of `size` pixels over grid `g`.
    pub fn px_per_mm(&self, g: &Geometry, size: [f64; 2]) -> f64 {
        let c = g.center();
        let radius = g.corners().iter().map(|p| (p - c).norm()).fold(0.0, f64::max).max(1e-6);
        size[0].min(size[1]) / (2.0 * radius) * self.zoom
    }

    /// Patient point on the screen plane (through the target) at uv ∈ [0,1]².
    pub fn screen_point(&self, g: &Geometry, size: [f64; 2], uv: [f64; 2]) -> Point3<f64> {
        let k = self.px_per_mm(g, size);
        let (r, d) = (self.right(), -self.up());
        let centre = self.target + r * self.pan.x + d * self.pan.y;
        centre + r * ((uv[0] - 0.5) * size[0] / k) + d * ((uv[1] - 0.5) * size[1] / k)
    }

    /// Screen uv of a patient point (orthographic projection; inverse of `screen_point`).
    pub fn screen_uv(&self, g: &Geometry, size: [f64; 2], p: Point3<f64>) -> [f64; 2] {
        let k = self.px_per_mm(g, size);
        let (r, d) = (self.right(), -self.up());
        let rel = p - (self.target + r * self.pan.x + d * self.pan.y);
        [0.5 + rel.dot(&r) * k / size[0], 0.5 + rel.dot(&d) * k / size[1]]
    }
}

/// An axis-aligned clipping box in normalised texture coordinates (fractions of the grid).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipBox {
    pub lo: [f64; 3],
    pub hi: [f64; 3],
}

impl Default for ClipBox {
    fn default() -> Self {
        ClipBox { lo: [0.0; 3], hi: [1.0; 3] }
    }
}

/// Everything a ray caster needs for one frame, in 3D texture coordinates
/// (tex = (index + 0.5) / dims, the volume spans [0,1]³). Rays are `origin(uv) + t · dir_tex`
/// with t in mm from the screen plane.
#[derive(Debug, Clone, PartialEq)]
pub struct RayFrame {
    /// (u, v, 0, 1) → texture coordinates of the ray's point on the screen plane.
    pub uv_to_tex: Matrix4<f64>,
    /// Texture-coordinate change per mm along the ray.
    pub dir_tex: Vector3<f64>,
    /// The ray direction in patient space (unit).
    pub view_dir: Vector3<f64>,
    pub step_mm: f64,
    /// Index-space gradient → patient-space gradient (A⁻ᵀ of the grid axes).
    pub grad_to_patient: Matrix3<f64>,
    pub clip: ClipBox,
}

impl RayFrame {
    /// `step_voxels`: sample distance as a fraction of the smallest voxel spacing.
    pub fn new(cam: &OrbitCamera, g: &Geometry, size: [f64; 2], clip: ClipBox, step_voxels: f64) -> Option<RayFrame> {
        let a_inv = g.axes.try_inverse()?;
        let dims = g.dims.map(|n| n.max(1) as f64);
        let scale = Matrix3::from_diagonal(&Vector3::new(1.0 / dims[0], 1.0 / dims[1], 1.0 / dims[2]));
        let patient_to_tex = |p: Point3<f64>| {
            scale * (a_inv * (p - g.origin)) + Vector3::new(0.5, 0.5, 0.5).component_div(&Vector3::from(dims))
        };
        let o = patient_to_tex(cam.screen_point(g, size, [0.0, 0.0]));
        let du = patient_to_tex(cam.screen_point(g, size, [1.0, 0.0])) - o;
        let dv = patient_to_tex(cam.screen_point(g, size, [0.0, 1.0])) - o;
        let mut uv_to_tex = Matrix4::identity();
        uv_to_tex.fixed_view_mut::<3, 1>(0, 0).copy_from(&du);
        uv_to_tex.fixed_view_mut::<3, 1>(0, 1).copy_from(&dv);
        uv_to_tex.fixed_view_mut::<3, 1>(0, 3).copy_from(&o);
        let view_dir = cam.forward();
        let min_spacing = g.spacing().into_iter().fold(f64::INFINITY, f64::min);
        Some(RayFrame {
            uv_to_tex,
            dir_tex: scale * (a_inv * view_dir),
            view_dir,
            step_mm: (min_spacing * step_voxels).max(1e-3),
            grad_to_patient: a_inv.transpose(),
            clip,
        })
    }

    /// The ray through screen uv: (origin, direction per mm), in texture coordinates.
    pub fn ray(&self, uv: [f64; 2]) -> (Vector3<f64>, Vector3<f64>) {
        let o = self.uv_to_tex * nalgebra::Vector4::new(uv[0], uv[1], 0.0, 1.0);
        (o.xyz(), self.dir_tex)
    }

    /// The sample positions of a ray: t of the first sample and of the clip box exit. Samples lie on
    /// planes at multiples of the step from the screen plane, the same for every pixel, so the
    /// box entry leaves no wood-grain pattern.
    pub fn sample_range(&self, uv: [f64; 2]) -> Option<(f64, f64)> {
        let (o, d) = self.ray(uv);
        let (t0, t1) = intersect_box(o, d, self.clip.lo.into(), self.clip.hi.into())?;
        let first = (t0 / self.step_mm).ceil() * self.step_mm;
        (first <= t1).then_some((first, t1))
    }
}

/// A plane through patient point `point` with normal `normal` in the ray caster's texture
/// coordinates: (n, w) with `n·tex + w` the signed distance from the plane in mm (positive on the
/// normal's side). Along a ray `o + t·dir_tex`, n·dir_tex is the cosine between the normal and the
/// view direction, so the plane is met at t = −(n·o + w) / (n·dir_tex). `None` for a degenerate
/// grid or normal.
pub fn plane_in_tex(g: &Geometry, point: Point3<f64>, normal: Vector3<f64>) -> Option<[f64; 4]> {
    let n = normal.try_normalize(1e-12)?;
    if g.axes.determinant().abs() < 1e-12 {
        return None;
    }
    // patient = origin + A·(dims ∘ tex − ½), so n·(patient − point) = (dims ∘ Aᵀn)·tex + w.
    let at_n = g.axes.transpose() * n;
    let dims = Vector3::from(g.dims.map(|d| d.max(1) as f64));
    let n_tex = at_n.component_mul(&dims);
    let w = n.dot(&(g.origin - point)) - 0.5 * at_n.sum();
    Some([n_tex.x, n_tex.y, n_tex.z, w])
}

/// Slab test: the parameter interval where `o + t·d` lies inside the box [lo, hi] (any sign of t).
pub fn intersect_box(o: Vector3<f64>, d: Vector3<f64>, lo: Vector3<f64>, hi: Vector3<f64>) -> Option<(f64, f64)> {
    let (mut t0, mut t1) = (f64::NEG_INFINITY, f64::INFINITY);
    for a in 0..3 {
        if d[a].abs() < 1e-15 {
            if o[a] < lo[a] || o[a] > hi[a] {
                return None;
            }
            continue;
        }
        let (ta, tb) = ((lo[a] - o[a]) / d[a], (hi[a] - o[a]) / d[a]);
        t0 = t0.max(ta.min(tb));
        t1 = t1.min(ta.max(tb));
    }
    (t0 <= t1).then_some((t0, t1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Geometry {
        Geometry::axis_aligned([40, 50, 30], [1.0, 1.0, 2.0])
    }

    fn close(a: Vector3<f64>, b: Vector3<f64>) -> bool {
        (a - b).norm() < 1e-9
    }

    #[test]
    fn anterior_view_looks_to_posterior_with_head_up_and_patient_right_on_screen_left() {
        let c = OrbitCamera::new(Point3::origin(), StandardView::Anterior);
        assert!(close(c.forward(), Vector3::y()), "rays travel from anterior (−Y) to posterior (+Y)");
        assert!(close(c.up(), Vector3::z()), "superior is up");
        assert!(close(c.right(), Vector3::x()), "screen right is patient left (+X)");
    }

    #[test]
    fn standard_views_are_right_handed_and_face_their_side() {
        for (view, eye) in [
            (StandardView::Anterior, -Vector3::y()),
            (StandardView::Posterior, Vector3::y()),
            (StandardView::Left, Vector3::x()),
            (StandardView::Right, -Vector3::x()),
            (StandardView::Superior, Vector3::z()),
            (StandardView::Inferior, -Vector3::z()),
        ] {
            let c = OrbitCamera::new(Point3::origin(), view);
            assert!((c.orient.matrix().determinant() - 1.0).abs() < 1e-12, "{view:?}");
            assert!(close(-c.forward(), eye), "{view:?}: the eye is on the {eye:?} side");
        }
        let left = OrbitCamera::new(Point3::origin(), StandardView::Left);
        assert!(close(left.right(), Vector3::y()), "left view: anterior on screen left");
        let sup = OrbitCamera::new(Point3::origin(), StandardView::Superior);
        assert!(close(sup.up(), -Vector3::y()), "superior view: nose up");
    }

    #[test]
    fn dragging_right_a_quarter_turn_from_anterior_shows_the_patients_right_side() {
        let mut c = OrbitCamera::new(Point3::origin(), StandardView::Anterior);
        c.rotate(90.0, 0.0, std::f64::consts::FRAC_PI_2 / 90.0);
        let right = OrbitCamera::new(Point3::origin(), StandardView::Right);
        assert!((c.orient.matrix() - right.orient.matrix()).norm() < 1e-9, "{:?}", c.orient);
        // Dragging down tilts the top of the head towards the viewer: we then look from above.
        let mut c = OrbitCamera::new(Point3::origin(), StandardView::Anterior);
        c.rotate(0.0, 90.0, std::f64::consts::FRAC_PI_2 / 90.0);
        assert!(close(c.forward(), -Vector3::z()), "{:?}", c.forward());
    }

    #[test]
    fn many_drags_keep_the_orientation_a_rotation() {
        let mut c = OrbitCamera::fit(&grid());
        for i in 0..1000 {
            c.rotate(f64::from(i % 7) - 3.0, f64::from(i % 5) - 2.0, 0.01);
        }
        let m = c.orient.matrix();
        assert!((m.transpose() * m - Matrix3::identity()).norm() < 1e-9);
    }

    #[test]
    fn pan_moves_the_object_with_the_mouse_and_zoom_scales() {
        let g = grid();
        let mut c = OrbitCamera::fit(&g);
        let size = [200.0, 100.0];
        let k = c.px_per_mm(&g, size);
        let before = c.screen_point(&g, size, [0.5, 0.5]);
        c.pan_by(20.0, 0.0, k);
        let after = c.screen_point(&g, size, [0.5, 0.5]);
        // The object moved right, so the screen centre now shows a point to its left (−right).
        assert!(((after - before).dot(&c.right()) + 20.0 / k).abs() < 1e-9);
        c.zoom_by(2.0);
        assert!((c.px_per_mm(&g, size) - 2.0 * k).abs() < 1e-9);
    }

    #[test]
    fn box_intersection_handles_axis_parallel_and_missing_rays() {
        let (lo, hi) = (Vector3::zeros(), Vector3::new(1.0, 1.0, 1.0));
        let hit = intersect_box(Vector3::new(0.5, -1.0, 0.5), Vector3::y(), lo, hi).unwrap();
        assert!((hit.0 - 1.0).abs() < 1e-12 && (hit.1 - 2.0).abs() < 1e-12);
        assert!(intersect_box(Vector3::new(2.0, -1.0, 0.5), Vector3::y(), lo, hi).is_none());
        let diag = intersect_box(Vector3::new(-1.0, -1.0, 0.5), Vector3::new(1.0, 1.0, 0.0), lo, hi).unwrap();
        assert!((diag.0 - 1.0).abs() < 1e-12 && (diag.1 - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_plane_in_texture_space_gives_signed_mm_and_is_met_where_the_ray_crosses_it() {
        let mut g = grid();
        g.axes = nalgebra::Rotation3::from_axis_angle(&Vector3::z_axis(), 0.4).matrix() * g.axes;
        let normal = Vector3::new(0.3, -0.2, 1.0).normalize();
        let point = g.center() + Vector3::new(2.0, 1.0, -3.0);
        let [a, b, c, w] = plane_in_tex(&g, point, normal).unwrap();
        let dims = g.dims.map(|d| d as f64);
        let to_tex = |p: Point3<f64>| {
            let idx = g.axes.try_inverse().unwrap() * (p - g.origin);
            Vector3::new((idx.x + 0.5) / dims[0], (idx.y + 0.5) / dims[1], (idx.z + 0.5) / dims[2])
        };
        for offset in [-7.5, 0.0, 4.0] {
            let q = point + normal * offset + normal.cross(&Vector3::x()).normalize() * 5.0;
            let tex = to_tex(q);
            let dist = a * tex.x + b * tex.y + c * tex.z + w;
            assert!((dist - offset).abs() < 1e-9, "{dist} vs {offset}");
        }
        // The centre ray of the anterior view meets the plane at the parameter of the crossing.
        let f = RayFrame::new(&OrbitCamera::fit(&g), &g, [64.0, 64.0], ClipBox::default(), 0.5).unwrap();
        let (o, d) = f.ray([0.5, 0.5]);
        let n = Vector3::new(a, b, c);
        let t = -(n.dot(&o) + w) / n.dot(&d);
        assert!((n.dot(&d) - normal.dot(&f.view_dir)).abs() < 1e-9, "n·dir_tex is the cosine");
        let hit = o + d * t;
        assert!((n.dot(&hit) + w).abs() < 1e-9);
        assert!(plane_in_tex(&g, point, Vector3::zeros()).is_none());
    }

    #[test]
    fn centre_ray_of_a_fitted_anterior_view_crosses_the_grid_front_to_back() {
        let g = grid();
        let c = OrbitCamera::fit(&g);
        let f = RayFrame::new(&c, &g, [64.0, 64.0], ClipBox::default(), 0.5).unwrap();
        let (o, d) = f.ray([0.5, 0.5]);
        // The screen plane passes through the grid centre, which is texture coordinate 0.5.
        assert!(close(o, Vector3::new(0.5, 0.5, 0.5)), "{o:?}");
        let (t0, t1) = f.sample_range([0.5, 0.5]).unwrap();
        // The grid spans 50 voxels of 1 mm along Y (edges included): 50 mm of ray, in 0.5 mm steps.
        assert!((t1 - t0 - 50.0).abs() <= 0.5 + 1e-9, "{t0} {t1}");
        assert!(d.y > 0.0 && d.x.abs() < 1e-12 && d.z.abs() < 1e-12);
        assert!((f.step_mm - 0.5).abs() < 1e-12);
        // A clip box keeping the back half shortens the ray to 25 mm.
        let clip = ClipBox { lo: [0.0, 0.5, 0.0], hi: [1.0; 3] };
        let f = RayFrame::new(&c, &g, [64.0, 64.0], clip, 0.5).unwrap();
        let (t0, t1) = f.sample_range([0.5, 0.5]).unwrap();
        assert!((t1 - t0 - 25.0).abs() <= 0.5 + 1e-9, "{t0} {t1}");
    }
}
